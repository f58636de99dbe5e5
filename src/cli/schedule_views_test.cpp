// `spool schedules`: the request built from the command line, and what people see.
#include "cli/schedule_views.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cli/schedule_requests.hpp"
#include "core/time_format.hpp"

namespace spool::cli {
namespace {

namespace json = boost::json;

TEST(ScheduleRequestTest, BuildsTheBodyWithOnlyTheGivenOptions) {
  ScheduleArgs a;
  a.name = "weekly_report";
  a.type = "build_report";
  a.cron = "0 9 * * MON";
  a.tz = "America/New_York";
  a.overlap = "skip";
  a.lease = "2m";
  a.tags = {"reports"};
  auto body = build_schedule_request(a, json::parse(R"({"range":"week"})"));
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(json::value(*body), json::parse(R"({
    "name":"weekly_report","cron":"0 9 * * MON","timezone":"America/New_York","overlap":"skip",
    "job":{"type":"build_report","payload":{"range":"week"},"lease_ms":120000,"tags":["reports"]}})"));

  ScheduleArgs every;
  every.name = "cleanup";
  every.type = "purge";
  every.every = "15m";
  auto e = build_schedule_request(every, json::object());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("every_ms").as_int64(), 900000);
}

TEST(ScheduleRequestTest, NeedsExactlyOneTimingAndValidDurations) {
  ScheduleArgs a;
  a.name = "x";
  a.type = "t";
  EXPECT_EQ(build_schedule_request(a, json::object()).error().field(), "--cron");
  a.cron = "@daily";
  a.every = "5m";
  EXPECT_EQ(build_schedule_request(a, json::object()).error().field(), "--cron");
  a.cron.clear();
  a.every = "5 minutes";
  EXPECT_EQ(build_schedule_request(a, json::object()).error().field(), "--every");
}

TEST(ScheduleViewTest, TheTableAndTheBlockShowTimingNextRunsAndTheLastJob) {
  TimeMs now = parse_rfc3339("2026-12-01T07:00:00Z").value();
  json::value list = json::parse(R"({"schedules":[
    {"id":"01SCHED","name":"daily_digest","cron":"0 8 * * *","every_ms":null,
     "timezone":"Europe/Berlin","paused":false,"next_run_at":"2026-12-02T07:00:00.000Z",
     "last_run_at":"2026-12-01T07:00:00.000Z","last_job_id":"01JOB"},
    {"id":"01OTHER","name":"cleanup","cron":null,"every_ms":900000,"timezone":"UTC",
     "paused":true,"next_run_at":null,"last_run_at":null,"last_job_id":null}]})");
  std::string table = render_schedules_table(list, now, Style{});
  EXPECT_NE(table.find("cron 0 8 * * * (Europe/Berlin)"), std::string::npos) << table;
  EXPECT_NE(table.find("2026-12-02 07:00:00 (in 1d)"), std::string::npos) << table;
  EXPECT_NE(table.find("every 15m"), std::string::npos) << table;
  EXPECT_NE(table.find("paused"), std::string::npos) << table;
  EXPECT_NE(table.find("01JOB"), std::string::npos) << table;
  EXPECT_NE(render_schedules_table(json::parse(R"({"schedules":[]})"), now, Style{})
                .find("no schedules yet"),
            std::string::npos);

  json::value one = list.at("schedules").at(0);
  one.as_object()["next_runs"] = json::parse(R"(["2026-12-02T07:00:00.000Z"])");
  one.as_object()["job"] = json::parse(R"({"type":"send_digest","payload":{}})");
  std::string block = render_schedule(one, now, Style{});
  EXPECT_NE(block.find("next runs\n  2026-12-02 07:00:00 UTC"), std::string::npos) << block;
  EXPECT_NE(block.find("spool job 01JOB"), std::string::npos) << block;
  EXPECT_NE(block.find("\"send_digest\""), std::string::npos) << block;
}

}  // namespace
}  // namespace spool::cli
