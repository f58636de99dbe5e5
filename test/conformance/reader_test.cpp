// Conformance: StoreReader (store.hpp "Threading"): readers opened beside the writer see exactly
// the committed data, their counts follow commits and rollbacks, they work from another thread
// while the writer commits, and they answer as the writer connection's reads do.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "conformance/store_fixture.hpp"

namespace spool::store::conformance {
namespace {

// The fields a read answers, as text, so that two answers compare whole.
std::string describe(const Job& j) {
  std::string out = j.id + " " + j.type + "/" + j.queue + " " + std::string(to_string(j.state)) +
                    " attempts=" + std::to_string(j.attempts) + " payload=" + j.payload_json +
                    " run_at=" + std::to_string(j.run_at) + " tags=";
  for (const std::string& t : j.tags) out += t + ",";
  out += " key=" + j.dedupe_key.value_or("-") + " worker=" + j.worker;
  return out;
}

std::string describe(const QueueInfo& q) {
  std::string out = q.name + (q.paused ? " paused" : "") +
                    " concurrency=" + std::to_string(q.config.concurrency.value_or(-1)) +
                    " counts=";
  for (std::int64_t n : q.counts.by_state) out += std::to_string(n) + ",";
  return out;
}

std::string describe(const JobPage& page) {
  std::string out;
  for (const Job& j : page.jobs) out += describe(j) + "\n";
  return out + "cursor=" + page.next_cursor.value_or("-");
}

std::string describe(const Stats& stats) {
  std::string out;
  for (const QueueInfo& q : stats.queues) out += describe(q) + "\n";
  out += "totals=";
  for (std::int64_t n : stats.totals.by_state) out += std::to_string(n) + ",";
  return out;
}

TYPED_TEST(StoreConformanceTest, ReaderSeesCommittedWritesAndNotAnOpenTransaction) {
  auto reader = this->open_reader();
  ASSERT_TRUE(reader);
  this->enqueue(new_job(1));
  EXPECT_EQ(must(reader->get_job(job_id(1))).id, job_id(1));

  ASSERT_TRUE(this->store().begin());
  ASSERT_TRUE(this->store().enqueue(new_job(2)));
  ASSERT_TRUE(this->store().enqueue(new_job(3, "brand_new")));
  ASSERT_TRUE(this->store().set_paused("email", true));
  // While the writer's transaction is open, the reader neither waits nor sees it.
  auto unseen = reader->get_job(job_id(2));
  ASSERT_FALSE(unseen);
  EXPECT_EQ(unseen.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(must(reader->get_queue("email")).counts[JobState::kQueued], 1);
  EXPECT_FALSE(must(reader->get_queue("email")).paused);
  EXPECT_FALSE(reader->get_queue("brand_new"));
  EXPECT_EQ(must(reader->list_jobs(JobFilter{})).jobs.size(), 1u);
  ASSERT_TRUE(this->store().commit());

  EXPECT_EQ(must(reader->get_job(job_id(2))).id, job_id(2));
  EXPECT_EQ(must(reader->get_job(job_id(3))).type, "brand_new");
  EXPECT_EQ(must(reader->get_queue("email")).counts[JobState::kQueued], 2);
  EXPECT_TRUE(must(reader->get_queue("email")).paused);
  EXPECT_EQ(must(reader->get_queue("brand_new")).counts[JobState::kQueued], 1);
  EXPECT_EQ(must(reader->list_jobs(JobFilter{})).jobs.size(), 3u);
}

TYPED_TEST(StoreConformanceTest, ReaderCountsEqualTheStoresAfterACommitAndAfterARollback) {
  auto reader = this->open_reader();
  ASSERT_TRUE(reader);
  for (int n = 1; n <= 4; ++n) this->enqueue(new_job(n));
  this->enqueue(new_job(5, "sms"));
  auto jobs = this->reserve({"email"}, 2);
  ASSERT_EQ(jobs.size(), 2u);
  ASSERT_TRUE(this->ack(jobs[0]));
  ASSERT_TRUE(this->fail(jobs[1], FailKind::kPermanent));
  const std::string committed = describe(must(this->store().stats()));
  EXPECT_EQ(describe(must(reader->stats())), committed);
  EXPECT_EQ(describe(must(reader->get_queue("email"))),
            describe(must(this->store().get_queue("email"))));

  ASSERT_TRUE(this->store().begin());
  ASSERT_TRUE(this->store().enqueue(new_job(6)));
  ASSERT_TRUE(this->store().enqueue(new_job(7, "fresh")));
  ASSERT_TRUE(this->store().purge("email", JobState::kCompleted, 1000));
  this->store().rollback();
  EXPECT_EQ(describe(must(this->store().stats())), committed);
  EXPECT_EQ(describe(must(reader->stats())), committed);
  EXPECT_FALSE(reader->get_queue("fresh"));

  // A reader opened after the rollback starts from the same view.
  auto later = this->open_reader();
  ASSERT_TRUE(later);
  EXPECT_EQ(describe(must(later->stats())), committed);
}

TYPED_TEST(StoreConformanceTest, ReaderOnAnotherThreadSeesEachCommitOnceTheWriterReturns) {
  constexpr int kJobs = 200;
  auto reader = this->open_reader();
  ASSERT_TRUE(reader);
  // The writer publishes the number of its last committed job; the reader, on its own thread,
  // must find that job and at least that many queued whenever it looks (read-your-writes
  // across threads), and never fails for want of a lock.
  std::atomic<int> committed{0};
  std::atomic<bool> done{false};
  std::vector<std::string> problems;
  int reads = 0;
  std::thread reading([&] {
    while (!done.load() || reads == 0) {
      int seen = committed.load();
      ++reads;
      auto queue = reader->get_queue("email");
      if (seen > 0) {
        if (!queue) {
          problems.push_back("get_queue: " + queue.error().message());
        } else if (queue->counts[JobState::kQueued] < seen) {
          problems.push_back("counts behind a commit: " + std::to_string(seen));
        }
        if (auto job = reader->get_job(job_id(seen)); !job) {
          problems.push_back("job " + std::to_string(seen) + ": " + job.error().message());
        }
      }
      if (auto page = reader->list_jobs(JobFilter{}); !page) {
        problems.push_back("list_jobs: " + page.error().message());
      }
      if (problems.size() > 5) return;
    }
  });
  for (int n = 1; n <= kJobs; ++n) {
    this->enqueue(new_job(n));
    committed.store(n);
  }
  done.store(true);
  reading.join();
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_GT(reads, 0);
  EXPECT_EQ(must(reader->get_queue("email")).counts[JobState::kQueued], kJobs);
}

TYPED_TEST(StoreConformanceTest, ReaderAnswersAsTheWriterConnectionDoesOnTheSameData) {
  auto add = [&](int n, std::string type, std::string queue, std::vector<std::string> tags) {
    NewJob j = new_job(n, std::move(type), std::move(queue));
    j.job.tags = std::move(tags);
    if (n % 4 == 0) j.job.dedupe_key = "k" + std::to_string(n);
    j.job.run_at = kNow - n * 1000;
    this->enqueue(j);
  };
  for (int n = 1; n <= 30; ++n) {
    add(n, n % 2 ? "email" : "sms", n % 3 ? "q1" : "q2",
        n % 5 ? std::vector<std::string>{"a"} : std::vector<std::string>{"vip"});
  }
  auto jobs = this->reserve({"q1"}, 4);
  ASSERT_EQ(jobs.size(), 4u);
  ASSERT_TRUE(this->ack(jobs[0]));
  ASSERT_TRUE(this->fail(jobs[1], FailKind::kPermanent));
  must(this->write([](Store& s) { return s.set_paused("q2", true); }));
  QueueConfig cfg;
  cfg.concurrency = 7;
  must(this->write([&](Store& s) { return s.patch_queue("idle", cfg); }));

  auto reader = this->open_reader();
  ASSERT_TRUE(reader);
  Store& writer = this->store();
  for (int n : {1, 2, 17, 30}) {
    EXPECT_EQ(describe(must(reader->get_job(job_id(n)))),
              describe(must(writer.get_job(job_id(n)))));
  }
  EXPECT_EQ(reader->get_job("nope").error().code(), writer.get_job("nope").error().code());

  std::vector<JobFilter> filters(9);
  filters[1].state = JobState::kQueued;
  filters[2].type = "sms";
  filters[3].queue = "q1";
  filters[4].queue = "q1";
  filters[4].state = JobState::kActive;
  filters[5].tags = {"vip"};
  filters[6].dedupe_key = "k8";
  filters[6].ascending = true;
  filters[7].type = "email";
  filters[7].queue = "q2";
  filters[8].limit = 7;
  filters[8].after_id = job_id(20);
  for (const JobFilter& f : filters) {
    EXPECT_EQ(describe(must(reader->list_jobs(f))), describe(must(writer.list_jobs(f))));
  }
  for (const char* name : {"q1", "q2", "idle"}) {
    EXPECT_EQ(describe(must(reader->get_queue(name))), describe(must(writer.get_queue(name))));
  }
  EXPECT_EQ(reader->get_queue("never").error().code(), StatusCode::kNotFound);
  std::string listed, listed_by_writer;
  for (const QueueInfo& q : must(reader->list_queues())) listed += describe(q) + "\n";
  for (const QueueInfo& q : must(writer.list_queues())) listed_by_writer += describe(q) + "\n";
  EXPECT_EQ(listed, listed_by_writer);
  EXPECT_EQ(describe(must(reader->stats())), describe(must(writer.stats())));

  auto backlog = must(reader->backlog(kNow - 10'500));
  auto backlog_by_writer = must(writer.backlog(kNow - 10'500));
  ASSERT_EQ(backlog.size(), backlog_by_writer.size());
  for (std::size_t i = 0; i < backlog.size(); ++i) {
    EXPECT_EQ(backlog[i].queue, backlog_by_writer[i].queue);
    EXPECT_EQ(backlog[i].queued, backlog_by_writer[i].queued);
    EXPECT_EQ(backlog[i].oldest_run_at, backlog_by_writer[i].oldest_run_at);
    EXPECT_EQ(backlog[i].overdue, backlog_by_writer[i].overdue);
  }
  EXPECT_TRUE(reader->ping());
}

}  // namespace
}  // namespace spool::store::conformance
