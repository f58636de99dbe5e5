// spool::Client against a real `spool serve`: every call, and the errors it reports.
#include <thread>

#include "client/server_fixture.hpp"

namespace spool::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

using ClientTest = ServerTest;

TEST_F(ClientTest, EnqueuesWithEveryOptionAndReadsTheJobBack) {
  auto e = client_->enqueue({.type = "send_release_email",
                             .payload = {{"to", "ada@example.com"}},
                             .queue = "emails",
                             .priority = 5,
                             .delay = 60'000ms,
                             .dedupe_key = "release-1",
                             .max_attempts = 7,
                             .backoff = Backoff{.type = Backoff::Type::kFixed, .base = 2000ms},
                             .lease = 5000ms,
                             .tags = {"release", "v1"}});
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_FALSE(e->deduplicated);
  EXPECT_EQ(e->state, "scheduled");
  auto job = client_->get(e->id);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->type, "send_release_email");
  EXPECT_EQ(job->queue, "emails");
  EXPECT_EQ(job->payload, (json::value{{"to", "ada@example.com"}}));
  EXPECT_EQ(job->priority, 5);
  EXPECT_EQ(job->max_attempts, 7);
  EXPECT_EQ(job->attempts, 0);
  EXPECT_EQ(job->dedupe_key, "release-1");
  EXPECT_EQ(job->tags, (std::vector<std::string>{"release", "v1"}));
  EXPECT_TRUE(job->raw.contains("created_at"));

  auto again = client_->enqueue({.type = "send_release_email", .dedupe_key = "release-1"});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(again->id, e->id);
}

TEST_F(ClientTest, EnqueuesABatchInOrderAllOrNothing) {
  std::vector<NewJob> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back({.type = "batch", .payload = {{"i", i}}});
  auto ids = client_->enqueue_batch(jobs);
  ASSERT_TRUE(ids) << ids.error().message;
  ASSERT_EQ(ids->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(get((*ids)[i].id).payload.at("i").as_int64(), i);

  jobs.push_back({.type = "bad type!"});
  auto refused = client_->enqueue_batch(jobs);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "invalid_request");
  EXPECT_EQ(refused.error().http_status, 400);
  EXPECT_EQ(count("batch", "queued"), 5);  // nothing of the refused batch was stored
}

TEST_F(ClientTest, ListsWithFiltersAndPages) {
  for (int i = 0; i < 5; ++i) enqueue({.type = "listed", .tags = {i % 2 ? "odd" : "even"}});
  enqueue({.type = "other"});
  auto page = client_->list({.type = "listed", .limit = 2, .oldest_first = true});
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->jobs.size(), 2u);
  ASSERT_FALSE(page->next_cursor.empty());
  std::vector<std::string> seen;
  for (auto& j : page->jobs) seen.push_back(j.id);
  while (!page->next_cursor.empty()) {
    page = client_->list(
        {.type = "listed", .limit = 2, .cursor = page->next_cursor, .oldest_first = true});
    ASSERT_TRUE(page);
    for (auto& j : page->jobs) seen.push_back(j.id);
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));  // ULIDs: oldest first
  auto odd = client_->list({.tag = "odd"});
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->jobs.size(), 2u);
}

TEST_F(ClientTest, CancelsAndRetriesAndSaysConflictWhenTheStateForbidsIt) {
  std::string id = enqueue({.type = "cancel_me"});
  auto cancelled = client_->cancel(id);
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->state, "cancelled");
  auto twice = client_->cancel(id);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "conflict");
  EXPECT_EQ(twice.error().http_status, 409);

  auto retried = client_->retry(id);
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->state, "queued");
  auto not_dead = client_->retry(id);
  ASSERT_FALSE(not_dead);
  EXPECT_EQ(not_dead.error().code, "conflict");
}

TEST_F(ClientTest, CountsJobsByQueueAndState) {
  enqueue({.type = "counted"});
  enqueue({.type = "counted"});
  client_->cancel(enqueue({.type = "counted"})).value();
  auto stats = client_->stats();
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->queues["counted"].by_state["queued"], 2);
  EXPECT_EQ(stats->queues["counted"].by_state["cancelled"], 1);
  EXPECT_GE(stats->totals.by_state["queued"], 2);
}

TEST_F(ClientTest, ReservesExtendsAndSettlesInBatches) {
  std::vector<NewJob> jobs(3, NewJob{.type = "work", .lease = 10'000ms});
  ASSERT_TRUE(client_->enqueue_batch(jobs));
  auto got = client_->reserve({.queues = {"work"}, .max = 10, .worker = "test"});
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 3u);
  const ReservedJob& first = got->front();
  EXPECT_EQ(first.attempt, 1);
  EXPECT_EQ(first.lease_length, 10'000ms);
  auto extended = client_->extend(first.id, first.lease, 20'000ms, json::value{{"done", 1}});
  ASSERT_TRUE(extended) << extended.error().message;
  EXPECT_EQ(get(first.id).progress, (json::value{{"done", 1}}));

  std::vector<Client::AckItem> acks = {{first.id, first.lease, json::value(7)},
                                       {(*got)[1].id, "not-the-lease", std::nullopt}};
  std::vector<Client::FailItem> fails = {
      {(*got)[2].id, (*got)[2].lease, Failure{Failure::Kind::kRelease, "bye", std::nullopt}}};
  auto settled = client_->settle(acks, fails);
  ASSERT_TRUE(settled) << settled.error().message;
  ASSERT_EQ(settled->size(), 3u);
  ASSERT_TRUE((*settled)[0]);
  EXPECT_EQ((*settled)[0]->state, "completed");
  ASSERT_FALSE((*settled)[1]);
  EXPECT_EQ((*settled)[1].error().code, "lease_lost");
  ASSERT_TRUE((*settled)[2]);
  EXPECT_EQ((*settled)[2]->state, "queued");
  EXPECT_EQ(get(first.id).result, json::value(7));
}

TEST_F(ClientTest, ReportsTheServersErrorCodeMessageAndField) {
  auto missing = client_->get("01HZZZZZZZZZZZZZZZZZZZZZZZ");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "not_found");
  EXPECT_EQ(missing.error().http_status, 404);
  EXPECT_FALSE(missing.error().transient());

  auto bad = client_->enqueue({.type = "ok", .max_attempts = 0});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "invalid_request");
  EXPECT_EQ(bad.error().field, "max_attempts");
  EXPECT_FALSE(bad.error().message.empty());

  auto too_many = client_->reserve({.queues = {"q"}, .max = 101});
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code, "invalid_request");
  EXPECT_EQ(too_many.error().field, "max");
}

TEST_F(ClientTest, ALongPollGivesUpWhenItsStopTokenIsRequested) {
  std::stop_source stop;
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  auto got = client_->reserve({.queues = {"idle"}, .wait = 30'000ms}, stop.get_token());
  stopper.join();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, "cancelled");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // The server dropped the waiter: a job enqueued now is not leased to the client that left.
  std::string id = enqueue({.type = "idle"});
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(get(id).state, "queued");
}

TEST(ClientWithoutServerTest, SaysConnectFailedWhenNothingListens) {
  auto client = Client::create({.url = "http://127.0.0.1:" + std::to_string(free_port())});
  ASSERT_TRUE(client);
  auto r = client->stats();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "connect_failed");
  EXPECT_EQ(r.error().http_status, 0);
  EXPECT_TRUE(r.error().transient());
}

TEST(ClientWithoutServerTest, RefusesABadUrlNamingTheField) {
  auto client = Client::create({.url = "https://jobs.example.com"});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, "invalid_argument");
  EXPECT_EQ(client.error().field, "url");
}

}  // namespace
}  // namespace spool::testing
