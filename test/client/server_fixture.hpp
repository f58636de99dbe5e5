// A real `spool serve` on a free port with a temp data dir, and a spool::Client for it: the
// starting point of the client library's integration tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "client/child_process.hpp"
#include "spool/client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(ServerProcess::Options{
        .data_dir = dir_.file("data"), .env = {{"SPOOL_LOG_LEVEL", "info"}}});
    client_ = std::make_unique<Client>(make_client());
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  Client make_client() const {
    auto c = Client::create({.url = url()});
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }

  std::string enqueue(NewJob job) {
    auto e = client_->enqueue(job);
    EXPECT_TRUE(e) << e.error().message;
    return e ? e->id : std::string();
  }

  JobInfo get(const std::string& id) {
    auto j = client_->get(id);
    EXPECT_TRUE(j) << j.error().message;
    return j ? *j : JobInfo{};
  }

  // Waits for the job to reach `state`; answers whether it did within `timeout`.
  bool wait_state(const std::string& id, const std::string& state,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return eventually(
        [&] {
          auto j = client_->get(id);
          return j && j->state == state;
        },
        timeout);
  }

  std::int64_t count(const std::string& queue, const std::string& state) {
    auto s = client_->stats();
    if (!s) return -1;
    auto q = s->queues.find(queue);
    if (q == s->queues.end()) return 0;
    auto n = q->second.by_state.find(state);
    return n == q->second.by_state.end() ? 0 : n->second;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace spool::testing
