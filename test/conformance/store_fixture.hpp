// StoreConformanceTest: the fixture of the conformance suite, the behaviour every Store backend
// must have, one file per operation group of store/store.hpp (enqueue_test.cpp, reserve_test.cpp,
// settle_test.cpp, ...). Each case opens a fresh store from its backend (store_backends.hpp)
// and owns it for the case.
//
// A new backend (Redis) is proven against these same files by adding it to StoreBackends in
// store_backends.hpp: nothing here or in the *_test.cpp files names a backend. The suite is
// declared once, below, for every file: gtest requires one fixture type per suite, so the
// fixture lives in a named namespace (an anonymous one would give each file its own type).
// A new group of cases is a new `<group>_test.cpp` here (test/CMakeLists.txt globs them).
//
// Time is a fixed `kNow` passed explicitly; nothing sleeps. Ids are fixed ULID-shaped strings
// that sort in enqueue order, as the engine's generator does.
// Threading: the Store is called from the test's thread, like the engine thread it expects;
// readers (open_reader()) may be used from other threads (reader_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/store_backends.hpp"

namespace spool::store::conformance {

inline constexpr TimeMs kNow = 1'764'000'000'000;
inline constexpr std::int64_t kHour = 3'600'000;

inline std::string job_id(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "01JD%022d", n);
  return buf;
}

inline NewJob new_job(int n, std::string type = "email", std::optional<std::string> queue = {}) {
  NewJob nj;
  Job& j = nj.job;
  j.id = job_id(n);
  j.queue = queue.value_or(type);
  j.type = std::move(type);
  j.state = JobState::kQueued;
  j.payload_json = "{\"n\":" + std::to_string(n) + "}";
  j.created_at = kNow;
  j.run_at = kNow;
  return nj;
}

template <typename T>
T must(StatusOr<T> r) {
  if (!r) {
    ADD_FAILURE() << "unexpected error: " << r.error().message();
    return T{};
  }
  return std::move(*r);
}

template <typename Backend>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  // Closes the store and opens it again on the same data (a restart), with `bounds`.
  void reopen(const ReadBounds& bounds = {}) {
    store_.reset();
    auto s = backend_.open(bounds);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }

  Store& store() { return *store_; }

  // A reader beside the store (store.hpp StoreReader), as the engine's reader threads use. The
  // test destroys it before the store (reopen() or the end of the case).
  std::unique_ptr<StoreReader> open_reader() {
    auto r = store().open_reader();
    if (!r) {
      ADD_FAILURE() << "open_reader: " << r.error().message();
      return nullptr;
    }
    return std::move(*r);
  }

  // Runs fn(store) in one transaction and commits it.
  template <typename F>
  auto write(F&& fn) {
    EXPECT_TRUE(store().begin());
    auto r = fn(store());
    auto committed = store().commit();
    EXPECT_TRUE(committed) << committed.error().message();
    return r;
  }

  EnqueueResult enqueue(const NewJob& j) {
    return must(write([&](Store& s) { return s.enqueue(j); }));
  }

  ReserveResult reserve_result(std::vector<std::string> queues, int max, TimeMs now = kNow,
                               std::optional<std::int64_t> lease_ms = std::nullopt,
                               std::string worker = "w1") {
    ReserveRequest req;
    req.queues = std::move(queues);
    req.max = max;
    req.lease_ms = lease_ms;
    req.worker = std::move(worker);
    req.now = now;
    for (int i = 0; i < max; ++i) req.lease_tokens.push_back("tok-" + std::to_string(++tokens_));
    return must(write([&](Store& s) { return s.reserve(req); }));
  }

  std::vector<Job> reserve(std::vector<std::string> queues, int max, TimeMs now = kNow,
                           std::optional<std::int64_t> lease_ms = std::nullopt,
                           std::string worker = "w1") {
    return reserve_result(std::move(queues), max, now, lease_ms, std::move(worker)).jobs;
  }

  StatusOr<SettleResult> ack(const Job& j, TimeMs now = kNow,
                             std::optional<std::string> result = std::nullopt) {
    return write([&](Store& s) { return s.ack(AckRequest{j.id, j.lease_token, result, now}); });
  }

  StatusOr<SettleResult> fail(const Job& j, FailKind kind, TimeMs now = kNow,
                              std::optional<std::int64_t> retry_after_ms = std::nullopt,
                              double jitter = 0.5, std::string message = "boom") {
    return write([&](Store& s) {
      return s.fail(FailRequest{j.id, j.lease_token, message, kind, retry_after_ms, now, jitter});
    });
  }

  TickResult tick(TimeMs now, int limit = 100, double jitter = 0.0) {
    return must(write([&](Store& s) { return s.tick(now, limit, jitter); }));
  }

  Job get(int n) { return must(store().get_job(job_id(n))); }

  Counts counts(const std::string& queue) {
    auto q = store().get_queue(queue);
    return q ? q->counts : Counts{};
  }

  // A job of `queue` that is dead after one permanent failure.
  void make_dead(int n, std::string type, std::string queue) {
    enqueue(new_job(n, std::move(type), queue));
    auto jobs = reserve({queue}, 1);
    ASSERT_EQ(jobs.size(), 1u);
    ASSERT_TRUE(fail(jobs[0], FailKind::kPermanent));
  }

  Backend backend_;
  std::unique_ptr<Store> store_;
  int tokens_ = 0;
};

TYPED_TEST_SUITE(StoreConformanceTest, StoreBackends, BackendNames);

}  // namespace spool::store::conformance
