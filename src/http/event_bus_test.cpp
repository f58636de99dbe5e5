// The SSE event bus and frames: ids, the ring buffer, resume with Last-Event-ID, gaps, wake-ups,
// slow subscribers, filters and the bytes on the wire. No threads: the bus is driven directly.
#include "http/event_bus.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <vector>

#include "http/sse.hpp"

namespace spool::http {
namespace {

namespace json = boost::json;
using engine::JobEvent;
using engine::JobEventKind;

JobEvent event(std::string id, JobEventKind kind = JobEventKind::kEnqueued,
               std::string queue = "emails", std::string type = "send_email") {
  JobEvent e;
  e.kind = kind;
  e.id = std::move(id);
  e.queue = std::move(queue);
  e.type = std::move(type);
  e.at = 1'795'000'000'000;
  return e;
}

void commit(EventBus& bus, std::vector<JobEvent> events) {
  bus.on_commit(engine::CommitInfo{}, std::span<const JobEvent>(events));
}

std::vector<std::uint64_t> ids(const Subscription::Batch& b) {
  std::vector<std::uint64_t> out;
  for (const auto& e : b.events) out.push_back(e->id);
  return out;
}

TEST(EventBusTest, IdsIncreaseByOneFromTheFirstId) {
  EventBus bus({.capacity = 10, .first_id = 100});
  EXPECT_EQ(bus.last_id(), 99u);
  auto sub = bus.subscribe(std::nullopt, [] {}).subscription;
  commit(bus, {event("a"), event("b")});
  commit(bus, {event("c")});
  auto b = sub->take(100);
  EXPECT_EQ(ids(b), (std::vector<std::uint64_t>{100, 101, 102}));
  EXPECT_EQ(b.events[2]->job.id, "c");
  EXPECT_FALSE(b.more);
  EXPECT_EQ(bus.last_id(), 102u);
}

TEST(EventBusTest, ANewSubscriberStartsAfterTheNewestEvent) {
  EventBus bus({.capacity = 10, .first_id = 1});
  commit(bus, {event("old")});
  auto sub = bus.subscribe(std::nullopt, [] {});
  EXPECT_FALSE(sub.gap);
  EXPECT_TRUE(sub.subscription->take(10).events.empty());
  commit(bus, {event("new")});
  EXPECT_EQ(ids(sub.subscription->take(10)), (std::vector<std::uint64_t>{2}));
}

TEST(EventBusTest, ResumeWithLastEventIdGetsExactlyTheMissedEvents) {
  EventBus bus({.capacity = 10, .first_id = 1});
  commit(bus, {event("a"), event("b"), event("c"), event("d")});
  auto sub = bus.subscribe(2, [] {});
  EXPECT_FALSE(sub.gap);
  EXPECT_EQ(ids(sub.subscription->take(10)), (std::vector<std::uint64_t>{3, 4}));
  auto up_to_date = bus.subscribe(4, [] {});
  EXPECT_FALSE(up_to_date.gap);
  EXPECT_TRUE(up_to_date.subscription->take(10).events.empty());
}

TEST(EventBusTest, AnIdOlderThanTheRingIsAGapAndReplaysWhatIsKept) {
  EventBus bus({.capacity = 3, .first_id = 1});
  commit(bus, {event("1"), event("2"), event("3"), event("4"), event("5")});  // keeps 3..5
  auto just_kept = bus.subscribe(2, [] {});
  EXPECT_FALSE(just_kept.gap) << "id 2 was seen; 3.. are all kept";
  auto sub = bus.subscribe(1, [] {});
  EXPECT_TRUE(sub.gap);
  EXPECT_EQ(sub.requested, 1u);
  EXPECT_EQ(sub.oldest, 3u);
  EXPECT_EQ(ids(sub.subscription->take(10)), (std::vector<std::uint64_t>{3, 4, 5}));
}

TEST(EventBusTest, AnIdFromBeforeARestartIsAGap) {
  // A new process starts its ids above the old one's (serve uses the start time); an id from the
  // future (clock stepped back between runs) is a gap too.
  EventBus bus({.capacity = 3, .first_id = 1000});
  auto before_any = bus.subscribe(5, [] {});
  EXPECT_TRUE(before_any.gap);
  EXPECT_EQ(before_any.oldest, 0u) << "nothing kept yet";
  commit(bus, {event("a")});
  auto future = bus.subscribe(5000, [] {});
  EXPECT_TRUE(future.gap);
  EXPECT_EQ(ids(future.subscription->take(10)), (std::vector<std::uint64_t>{1000}));
  auto exact = bus.subscribe(999, [] {});
  EXPECT_FALSE(exact.gap);
}

TEST(EventBusTest, WakesOncePerBurstUntilTheSubscriberTakes) {
  EventBus bus({.capacity = 100, .first_id = 1});
  int wakes = 0;
  auto sub = bus.subscribe(std::nullopt, [&] { ++wakes; }).subscription;
  commit(bus, {event("a")});
  commit(bus, {event("b")});
  commit(bus, {event("c")});
  EXPECT_EQ(wakes, 1) << "a write in flight must not cost a post per commit";
  EXPECT_EQ(sub->take(100).events.size(), 3u);
  commit(bus, {event("d")});
  EXPECT_EQ(wakes, 2);
  commit(bus, {});
  EXPECT_EQ(wakes, 2) << "an empty commit wakes nobody";
}

TEST(EventBusTest, TakeHonoursMaxAndSaysThereIsMore) {
  EventBus bus({.capacity = 100, .first_id = 1});
  int wakes = 0;
  auto sub = bus.subscribe(std::nullopt, [&] { ++wakes; }).subscription;
  commit(bus, {event("a"), event("b"), event("c")});
  auto first = sub->take(2);
  EXPECT_EQ(ids(first), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(first.more);
  commit(bus, {event("d")});
  EXPECT_EQ(wakes, 1) << "the subscriber comes back by itself after a partial take";
  auto rest = sub->take(2);
  EXPECT_EQ(ids(rest), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_FALSE(rest.more);
}

TEST(EventBusTest, ASubscriberThatFallsBehindTheRingIsOverrunAndWokenToEnd) {
  EventBus bus({.capacity = 4, .first_id = 1});
  int slow_wakes = 0;
  auto slow = bus.subscribe(std::nullopt, [&] { ++slow_wakes; }).subscription;
  auto fast = bus.subscribe(std::nullopt, [] {}).subscription;
  commit(bus, {event("1"), event("2"), event("3")});
  EXPECT_EQ(fast->take(10).events.size(), 3u);
  EXPECT_FALSE(slow->overrun());
  commit(bus, {event("4")});
  EXPECT_FALSE(slow->overrun()) << "4 behind with a ring of 4: everything still kept";
  commit(bus, {event("5")});
  EXPECT_TRUE(slow->overrun());
  EXPECT_EQ(slow_wakes, 2) << "woken once for events, once to end itself";
  EXPECT_TRUE(slow->take(10).overrun);
  EXPECT_FALSE(fast->overrun());
  EXPECT_EQ(ids(fast->take(10)), (std::vector<std::uint64_t>{4, 5}));
}

TEST(EventBusTest, UnsubscribedStreamsAreNoLongerWoken) {
  EventBus bus({.capacity = 4, .first_id = 1});
  int wakes = 0;
  auto sub = bus.subscribe(std::nullopt, [&] { ++wakes; }).subscription;
  EXPECT_EQ(bus.subscriber_count(), 1u);
  bus.unsubscribe(sub);
  EXPECT_EQ(bus.subscriber_count(), 0u);
  commit(bus, {event("a")});
  EXPECT_EQ(wakes, 0);
}

TEST(EventFilterTest, EveryGivenFieldMustMatch) {
  EventFilter all;
  EXPECT_TRUE(all.matches(event("j1")));
  EventFilter by_queue{.queue = "emails"};
  EXPECT_TRUE(by_queue.matches(event("j1", JobEventKind::kStarted, "emails")));
  EXPECT_FALSE(by_queue.matches(event("j1", JobEventKind::kStarted, "pdfs")));
  EventFilter both{.queue = "emails", .type = "digest"};
  EXPECT_FALSE(both.matches(event("j1", JobEventKind::kStarted, "emails", "send_email")));
  EXPECT_TRUE(both.matches(event("j1", JobEventKind::kStarted, "emails", "digest")));
  EventFilter by_job{.job = "j2"};
  EXPECT_FALSE(by_job.matches(event("j1")));
  EXPECT_TRUE(by_job.matches(event("j2")));
}

TEST(EventsRequestTest, ParsesFiltersAndTheResumePoint) {
  auto r = parse_events_request({{"queue", "emails"}, {"type", "send_email"}, {"job", "01J"}}, "");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->filter.queue, "emails");
  EXPECT_EQ(r->filter.type, "send_email");
  EXPECT_EQ(r->filter.job, "01J");
  EXPECT_FALSE(r->last_event_id);
  auto q = parse_events_request({{"last_event_id", "42"}}, "");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->last_event_id, 42u);
  auto h = parse_events_request({{"last_event_id", "42"}}, "77");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->last_event_id, 77u) << "the header a reconnecting EventSource sends wins";
}

TEST(EventsRequestTest, BadValuesNameTheParameter) {
  auto bad_queue = parse_events_request({{"queue", "a b"}}, "");
  ASSERT_FALSE(bad_queue);
  EXPECT_EQ(bad_queue.error().field(), "queue");
  auto bad_id = parse_events_request({}, "12abc");
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().field(), "Last-Event-ID");
  EXPECT_NE(bad_id.error().message().find("12abc"), std::string::npos);
  EXPECT_FALSE(parse_events_request({{"last_event_id", "-1"}}, ""));
  EXPECT_FALSE(parse_events_request({{"job", ""}}, ""));
  auto typo = parse_events_request({{"queues", "emails"}}, "");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().field(), "queues");
  EXPECT_NE(typo.error().message().find("did you mean queue?"), std::string::npos);
}

// Splits one SSE frame into its fields, as a client would.
std::map<std::string, std::string> fields(const std::string& frame) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos < frame.size()) {
    std::size_t end = frame.find('\n', pos);
    std::string line = frame.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) break;
    auto colon = line.find(": ");
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 2);
    out[key] = out.contains(key) ? out[key] + "\n" + value : value;
  }
  return out;
}

TEST(SseTest, AnEventFrameCarriesIdKindAndJsonData) {
  JobEvent e = event("01JD", JobEventKind::kRetrying);
  e.attempt = 1;
  e.max_attempts = 3;
  e.state = JobState::kRetrying;
  e.fail_kind = FailKind::kRetry;
  e.error = "smtp said \"no\"\nthen hung up";
  e.next_run_at = 1'795'000'001'000;
  e.run_ms = 12;
  std::string frame = encode_sse_event(StoredEvent{7, e});
  EXPECT_EQ(frame.substr(frame.size() - 2), "\n\n");
  auto f = fields(frame);
  EXPECT_EQ(f["id"], "7");
  EXPECT_EQ(f["event"], "retrying");
  auto data = json::parse(f["data"]).as_object();
  EXPECT_EQ(data.at("event_id"), 7);
  EXPECT_EQ(data.at("event"), "retrying");
  EXPECT_EQ(data.at("job_id"), "01JD");
  EXPECT_EQ(data.at("queue"), "emails");
  EXPECT_EQ(data.at("state"), "retrying");
  EXPECT_EQ(data.at("attempt"), 1);
  EXPECT_EQ(data.at("error").at("message"), "smtp said \"no\"\nthen hung up");
  EXPECT_EQ(data.at("error").at("kind"), "retry");
  EXPECT_EQ(data.at("next_run_at"), "2026-11-18T11:06:41.000Z");
  EXPECT_EQ(data.at("run_ms"), 12);
  EXPECT_FALSE(data.contains("progress"));
}

TEST(SseTest, ProgressWithLineBreaksBecomesSeveralDataLines) {
  JobEvent e = event("01JD", JobEventKind::kProgress);
  e.progress_json = "{\n  \"done\": 3,\r\n  \"of\": 10\n}";
  std::string frame = encode_sse_event(StoredEvent{8, e});
  EXPECT_EQ(frame.find("\n\n"), frame.size() - 2) << "a blank line would end the frame early";
  auto data = json::parse(fields(frame)["data"]).as_object();
  EXPECT_EQ(data.at("progress").at("done"), 3);
  EXPECT_EQ(data.at("progress").at("of"), 10);
}

TEST(SseTest, TheGapFrameHasNoIdAndSaysWhatIsKept) {
  auto f = fields(encode_sse_gap(5, 900));
  EXPECT_EQ(f.count("id"), 0u);
  EXPECT_EQ(f["event"], "gap");
  auto data = json::parse(f["data"]).as_object();
  EXPECT_EQ(data.at("event"), "gap");
  EXPECT_EQ(data.at("last_event_id"), 5);
  EXPECT_EQ(data.at("oldest_event_id"), 900);
  EXPECT_TRUE(json::parse(fields(encode_sse_gap(5, 0))["data"]).at("oldest_event_id").is_null());
}

TEST(SseTest, PreambleSetsTheRetryDelay) {
  EXPECT_EQ(sse_preamble().rfind("retry: 2000\n", 0), 0u);
  EXPECT_EQ(sse_preamble().substr(sse_preamble().size() - 2), "\n\n");
}

}  // namespace
}  // namespace spool::http
