// The CLI's event-stream parser and the one-line view of a live event.
#include "cli/event_stream.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cli/event_views.hpp"

namespace spool::cli {
namespace {

std::vector<SseEvent> parse(std::initializer_list<std::string_view> pieces, SseParser& p) {
  std::vector<SseEvent> out;
  for (auto piece : pieces) p.feed(piece, out);
  return out;
}

TEST(SseParserTest, ReadsFramesCommentsAndRetry) {
  SseParser p;
  auto events = parse({"retry: 2000\n: spool job events\n\n",
                       "id: 7\nevent: completed\ndata: {\"a\":1}\n\n", ": keep-alive\n\n"},
                      p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].event, "completed");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(p.last_event_id(), "7");
  EXPECT_EQ(p.retry_ms(), 2000);
}

TEST(SseParserTest, FramesSplitAnywhereAndAnyLineEnding) {
  SseParser p;
  auto events = parse({"id: 1\r", "\nevent: gap\r\nda", "ta: x\rdata: y\r", "\r", "data:z\n\n"}, p);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "gap");
  EXPECT_EQ(events[0].data, "x\ny");
  EXPECT_EQ(events[1].event, "message") << "no event: line";
  EXPECT_EQ(events[1].data, "z") << "the space after the colon is optional";
  EXPECT_EQ(events[1].id, "") << "an id belongs to its own frame";
  EXPECT_EQ(p.last_event_id(), "1");
}

TEST(SseParserTest, AFrameWithoutDataDispatchesNothingButKeepsItsId) {
  SseParser p;
  auto events = parse({"id: 9\n\n", "event: x\n\n"}, p);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(p.last_event_id(), "9");
}

TEST(EventsTargetTest, EncodesTheFiltersGiven) {
  EXPECT_EQ(events_target({}, {}, {}), "/v1/events");
  EXPECT_EQ(events_target("emails", "", "01J"), "/v1/events?queue=emails&job=01J");
  EXPECT_EQ(events_target("", "a b&c", ""), "/v1/events?type=a%20b%26c");
}

TEST(EventViewsTest, OneCalmLinePerEvent) {
  auto data = boost::json::parse(
      R"({"event":"retrying","at":"2026-11-25T09:14:03.123Z","job_id":"01JD","type":"send_email",
          "queue":"send_email","state":"retrying","attempt":1,"max_attempts":3,
          "error":{"message":"smtp\ntimeout","kind":"retry"},"next_run_at":"2026-11-25T09:14:05.000Z"})");
  std::string line = render_event_line("retrying", data, Style{});
  EXPECT_EQ(line,
            "09:14:03.123  retrying   01JD  send_email  attempt 1/3  smtp timeout; next "
            "09:14:05.000");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(EventViewsTest, NamesTheQueueOnlyWhenItIsNotTheType) {
  auto data = boost::json::parse(
      R"({"at":"2026-11-25T09:14:03.123Z","job_id":"01JD","type":"digest","queue":"low",
          "state":"completed","attempt":2,"max_attempts":3,"run_ms":12})");
  EXPECT_EQ(render_event_line("completed", data, Style{}),
            "09:14:03.123  completed  01JD  digest on low  attempt 2/3  ran 12ms");
}

TEST(EventViewsTest, FinalEvents) {
  EXPECT_TRUE(is_final_event("completed"));
  EXPECT_TRUE(is_final_event("dead"));
  EXPECT_TRUE(is_final_event("cancelled"));
  EXPECT_FALSE(is_final_event("retrying"));
  EXPECT_FALSE(is_final_event("gap"));
}

}  // namespace
}  // namespace spool::cli
