// GET /v1/events against a real `spool serve`: a raw-socket SSE client sees a job's whole life in
// order, filters, resumes with Last-Event-ID, is told of a gap, gets keep-alives; a consumer that
// stops reading is dropped without holding up enqueues; SIGTERM ends streams at once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct Frame {
  std::string id;
  std::string event;
  std::string data;
  json::value json() const { return json::parse(data); }
};

// A deliberately plain SSE client: one socket, the request by hand, frames split on blank lines.
class SseClient {
 public:
  struct Options {
    std::string target = "/v1/events";
    std::string token;
    std::string last_event_id;
    int receive_buffer = 0;  // SO_RCVBUF before connect; 0: the default
  };

  SseClient(std::uint16_t port, Options options) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (options.receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer,
                   sizeof options.receive_buffer);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ADD_FAILURE() << "cannot connect";
      return;
    }
    std::string req =
        "GET " + options.target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n";
    if (!options.token.empty()) req += "Authorization: Bearer " + options.token + "\r\n";
    if (!options.last_event_id.empty()) req += "Last-Event-ID: " + options.last_event_id + "\r\n";
    req += "\r\n";
    ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  }
  ~SseClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Reads the head; answers the status. The stream is subscribed once this returns 200.
  int read_head(std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return 0;
    }
    head_ = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    return std::atoi(head_.c_str() + head_.find(' ') + 1);
  }
  const std::string& head() const { return head_; }

  // The next frame with an event: line (comments and the preamble are skipped and remembered).
  std::optional<Frame> next(std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::size_t end = buffer_.find("\n\n");
      if (end != std::string::npos) {
        std::string block = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        Frame f;
        std::size_t pos = 0;
        while (pos <= block.size()) {
          std::size_t eol = block.find('\n', pos);
          if (eol == std::string::npos) eol = block.size();
          std::string line = block.substr(pos, eol - pos);
          pos = eol + 1;
          if (line.empty()) continue;
          if (line[0] == ':') {
            comments_.push_back(line);
            continue;
          }
          auto colon = line.find(": ");
          std::string key = line.substr(0, colon);
          std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
          if (key == "id") f.id = value;
          if (key == "event") f.event = value;
          if (key == "data") f.data += f.data.empty() ? value : "\n" + value;
        }
        if (!f.event.empty()) return f;
        continue;
      }
      if (!fill(deadline)) return std::nullopt;
    }
  }

  // The next `n` frames, failing the test when they do not come.
  std::vector<Frame> take(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::vector<Frame> out;
    while (out.size() < n) {
      auto f = next(timeout);
      if (!f) {
        ADD_FAILURE() << "got " << out.size() << " of " << n << " events";
        break;
      }
      out.push_back(std::move(*f));
    }
    return out;
  }

  // True when the server closes the stream within `timeout` (whatever it sent before).
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) buffer_.clear();
    return eof_;
  }

  const std::vector<std::string>& comments() const { return comments_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  std::string head_;
  std::vector<std::string> comments_;
  bool eof_ = false;
};

class EventsTest : public ::testing::Test {
 protected:
  void start(std::map<std::string, std::string> env = {}, std::vector<std::string> args = {}) {
    server_.reset();
    server_ = std::make_unique<ServerProcess>(
        ServerProcess::Options{dir_.file("data"), std::move(args), std::move(env)});
  }

  HttpConnection connect(const std::string& token = "") {
    HttpConnection c("127.0.0.1", server_->port());
    if (!token.empty()) c.set_token(token);
    return c;
  }

  std::unique_ptr<SseClient> subscribe(SseClient::Options options = {}) {
    auto c = std::make_unique<SseClient>(server_->port(), std::move(options));
    EXPECT_EQ(c->read_head(), 200) << c->head();
    return c;
  }

  static std::string enqueue(HttpConnection& c, const std::string& body) {
    auto r = c.request("POST", "/v1/jobs", body);
    EXPECT_EQ(r.status, 202) << r.body;
    return std::string(r.json().at("id").as_string());
  }

  static json::object reserve_one(HttpConnection& c, const std::string& queue) {
    auto r = c.request("POST", "/v1/reserve",
                       R"({"queues":[")" + queue + R"("],"wait_ms":5000,"worker":"w1"})");
    EXPECT_EQ(r.status, 200) << r.body;
    auto jobs = r.json().at("jobs").as_array();
    EXPECT_EQ(jobs.size(), 1u);
    return jobs.empty() ? json::object() : jobs[0].as_object();
  }

  static std::vector<std::string> kinds(const std::vector<Frame>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) out.push_back(f.event);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(EventsTest, EveryEventOfAJobsLifeArrivesInOrder) {
  start();
  auto sse = subscribe();
  EXPECT_NE(sse->head().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(sse->head().find("x-request-id: "), std::string::npos);
  auto c = connect();
  std::string id =
      enqueue(c, R"({"type":"send_email","payload":{"to":"a@example.com"},"max_attempts":3,
            "backoff":{"type":"fixed","base_ms":1,"jitter":false}})");
  auto first = reserve_one(c, "send_email");
  std::string lease(first.at("lease").as_string());
  auto extended = c.request("POST", "/v1/jobs/" + id + "/extend",
                            R"({"lease":")" + lease + R"(","progress":{"sent":1,"of":2}})");
  ASSERT_EQ(extended.status, 200) << extended.body;
  auto failed = c.request(
      "POST", "/v1/jobs/" + id + "/fail",
      R"({"lease":")" + lease + R"(","error":{"message":"smtp timeout","kind":"retry"}})");
  ASSERT_EQ(failed.status, 200) << failed.body;
  auto second = reserve_one(c, "send_email");
  auto acked = c.request("POST", "/v1/jobs/" + id + "/ack",
                         R"({"lease":")" + std::string(second.at("lease").as_string()) + R"("})");
  ASSERT_EQ(acked.status, 200) << acked.body;

  auto frames = sse->take(6);
  ASSERT_EQ(kinds(frames), (std::vector<std::string>{"enqueued", "started", "progress", "retrying",
                                                     "started", "completed"}));
  std::uint64_t previous = 0;
  for (const auto& f : frames) {
    auto data = f.json();
    EXPECT_EQ(data.at("job_id"), id.c_str());
    EXPECT_EQ(data.at("event"), f.event.c_str());
    EXPECT_EQ(data.at("type"), "send_email");
    EXPECT_EQ(data.at("queue"), "send_email");
    std::uint64_t event_id = std::stoull(f.id);
    EXPECT_GT(event_id, previous) << "ids increase";
    EXPECT_EQ(data.at("event_id").to_number<std::uint64_t>(), event_id);
    previous = event_id;
    EXPECT_EQ(f.data.find("a@example.com"), std::string::npos) << "no payload in events";
  }
  EXPECT_EQ(frames[1].json().at("attempt"), 1);
  EXPECT_EQ(frames[2].json().at("progress").at("sent"), 1);
  EXPECT_EQ(frames[3].json().at("error").at("message"), "smtp timeout");
  EXPECT_EQ(frames[3].json().at("state"), "retrying");
  EXPECT_EQ(frames[4].json().at("attempt"), 2);
  EXPECT_EQ(frames[5].json().at("state"), "completed");
}

TEST_F(EventsTest, FiltersByQueueTypeAndJob) {
  start();
  auto by_queue = subscribe({.target = "/v1/events?queue=low"});
  auto by_type = subscribe({.target = "/v1/events?type=digest"});
  auto c = connect();
  std::string a = enqueue(c, R"({"type":"digest","queue":"low","payload":{}})");
  auto by_job = subscribe({.target = "/v1/events?job=" + a});
  std::string b = enqueue(c, R"({"type":"send_email","queue":"low","payload":{}})");
  std::string d = enqueue(c, R"({"type":"digest","payload":{}})");
  std::string e = enqueue(c, R"({"type":"other","payload":{}})");
  auto cancelled = c.request("DELETE", "/v1/jobs/" + a);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;

  auto job_ids = [](const std::vector<Frame>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) out.emplace_back(f.json().at("job_id").as_string());
    return out;
  };
  EXPECT_EQ(job_ids(by_queue->take(3)), (std::vector<std::string>{a, b, a}));
  EXPECT_EQ(job_ids(by_type->take(3)), (std::vector<std::string>{a, d, a}));
  auto only_a = by_job->take(1);
  EXPECT_EQ(kinds(only_a), (std::vector<std::string>{"cancelled"}));
  // Nothing else is on its way to any of them.
  EXPECT_FALSE(by_queue->next(300ms));
  EXPECT_FALSE(by_type->next(300ms));
  EXPECT_FALSE(by_job->next(300ms));
}

TEST_F(EventsTest, ResumingWithLastEventIdGetsExactlyTheMissedEvents) {
  start();
  auto c = connect();
  std::string last_seen;
  {
    auto sse = subscribe();
    enqueue(c, R"({"type":"t","payload":{}})");
    enqueue(c, R"({"type":"t","payload":{}})");
    last_seen = sse->take(2).back().id;
  }  // the client goes away
  std::vector<std::string> missed;
  for (int i = 0; i < 3; ++i) missed.push_back(enqueue(c, R"({"type":"t","payload":{}})"));

  auto resumed = subscribe({.last_event_id = last_seen});
  auto frames = resumed->take(3);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].json().at("job_id"), missed[i].c_str());
    EXPECT_EQ(std::stoull(frames[i].id), std::stoull(last_seen) + 1 + i);
  }
  EXPECT_FALSE(resumed->next(300ms)) << "nothing twice, nothing extra";
  // The query parameter works too (for clients that cannot set headers).
  auto by_query = subscribe({.target = "/v1/events?last_event_id=" + frames[1].id});
  EXPECT_EQ(by_query->take(1)[0].id, frames[2].id);
}

TEST_F(EventsTest, AnIdOlderThanTheBufferGetsAGapNoticeThenWhatIsKept) {
  start({{"SPOOL_EVENTS_BUFFER", "16"}});
  auto c = connect();
  std::string first_id;
  {
    auto sse = subscribe();
    enqueue(c, R"({"type":"t","payload":{}})");
    first_id = sse->take(1)[0].id;
  }
  std::string batch = R"({"jobs":[)";
  for (int i = 0; i < 30; ++i) batch += std::string(i ? "," : "") + R"({"type":"t","payload":{}})";
  batch += "]}";
  ASSERT_EQ(c.request("POST", "/v1/jobs/batch", batch).status, 202);

  auto sse = subscribe({.last_event_id = first_id});
  auto gap = sse->next();
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->event, "gap");
  EXPECT_TRUE(gap->id.empty()) << "a gap notice has no id of its own";
  EXPECT_EQ(gap->json().at("last_event_id").to_number<std::uint64_t>(), std::stoull(first_id));
  auto kept = sse->take(16);
  ASSERT_EQ(kept.size(), 16u);
  EXPECT_EQ(gap->json().at("oldest_event_id").to_number<std::uint64_t>(), std::stoull(kept[0].id));
  EXPECT_EQ(std::stoull(kept[0].id), std::stoull(first_id) + 15) << "31 events, 16 kept";
  EXPECT_FALSE(sse->next(300ms));

  // An id from before a restart: the new process's ids are all above it, its buffer is empty.
  start({{"SPOOL_EVENTS_BUFFER", "16"}});
  auto after_restart = subscribe({.last_event_id = kept.back().id});
  auto notice = after_restart->next();
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->event, "gap");
  auto c2 = connect();
  enqueue(c2, R"({"type":"t","payload":{}})");
  auto fresh = after_restart->next();
  ASSERT_TRUE(fresh);
  EXPECT_GT(std::stoull(fresh->id), std::stoull(kept.back().id)) << "ids grow across restarts";
}

TEST_F(EventsTest, AnIdleStreamGetsKeepAliveComments) {
  start({{"SPOOL_EVENTS_KEEPALIVE_MS", "200"}});
  auto sse = subscribe();
  EXPECT_FALSE(sse->next(1000ms));
  int keepalives = 0;
  for (const auto& comment : sse->comments()) keepalives += comment == ": keep-alive";
  EXPECT_GE(keepalives, 2) << "one every 200 ms";
}

TEST_F(EventsTest, AConsumerThatStopsReadingIsDroppedWithoutSlowingEnqueues) {
  start({{"SPOOL_EVENTS_BUFFER", "1000"}});
  auto stalled = subscribe({.receive_buffer = 4096});
  auto reader = subscribe();
  auto c = connect();
  std::string batch = R"({"jobs":[)";
  for (int i = 0; i < 100; ++i) {
    batch += std::string(i ? "," : "") + R"({"type":"slow_consumer_test","payload":{}})";
  }
  batch += "]}";
  // 8000 events of ~300 bytes: far more than the stalled client's socket buffers hold.
  for (int i = 0; i < 80; ++i) {
    auto began = std::chrono::steady_clock::now();
    auto r = c.request("POST", "/v1/jobs/batch", batch);
    ASSERT_EQ(r.status, 202);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 5s) << "an enqueue waited on a stream";
    // The reading client keeps up.
    auto frames = reader->take(100);
    ASSERT_EQ(frames.size(), 100u);
  }
  EXPECT_TRUE(stalled->closed_within(10s)) << "the stalled stream is still open";
  EXPECT_NE(server_->log().find("reason=slow_consumer"), std::string::npos) << server_->log();
}

TEST_F(EventsTest, NeedsAReadingTokenAndValidFilters) {
  std::ofstream(dir_.file("spool.toml")) << R"(
[[tokens]]
token = "events-reader-token"
roles = ["reader"]
)";
  start({{"SPOOL_TOKEN", "events-admin-token"}}, {"--config", dir_.file("spool.toml")});
  SseClient anonymous(server_->port(), {});
  EXPECT_EQ(anonymous.read_head(), 401);
  SseClient wrong(server_->port(), {.token = "nope"});
  EXPECT_EQ(wrong.read_head(), 401);
  auto reader = subscribe({.token = "events-reader-token"});
  auto admin = subscribe({.token = "events-admin-token"});
  SseClient bad(server_->port(),
                {.target = "/v1/events?queue=a%20b", .token = "events-admin-token"});
  EXPECT_EQ(bad.read_head(), 400);
  SseClient bad_id(server_->port(), {.token = "events-admin-token", .last_event_id = "x1"});
  EXPECT_EQ(bad_id.read_head(), 400);

  auto c = connect("events-admin-token");
  enqueue(c, R"({"type":"t","payload":{}})");
  EXPECT_EQ(reader->take(1)[0].event, "enqueued");
  EXPECT_EQ(admin->take(1)[0].event, "enqueued");
}

// `spool job ID --follow` as a script uses it: a child process whose output is read line by
// line, bounded by `timeout`.
class FollowProcess {
 public:
  FollowProcess(std::uint16_t port, const std::string& args) {
    std::string cmd = "timeout 20 " + spool_binary() + " " + args +
                      " --url http://127.0.0.1:" + std::to_string(port) + " 2>&1";
    pipe_ = ::popen(cmd.c_str(), "r");
  }
  ~FollowProcess() {
    if (pipe_) ::pclose(pipe_);
  }
  // Reads until a line contains `needle` (true) or the output ends (false).
  bool read_until(const std::string& needle) {
    char line[4096];
    while (std::fgets(line, sizeof line, pipe_)) {
      output_ += line;
      if (std::string(line).find(needle) != std::string::npos) return true;
    }
    return false;
  }
  // Reads the rest and answers the exit code.
  int finish() {
    char line[4096];
    while (std::fgets(line, sizeof line, pipe_)) output_ += line;
    int status = ::pclose(pipe_);
    pipe_ = nullptr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& output() const { return output_; }

 private:
  FILE* pipe_ = nullptr;
  std::string output_;
};

TEST_F(EventsTest, FollowingAJobExitsZeroWhenItCompletesAndOneWhenItDies) {
  start();
  auto c = connect();
  std::string ok = enqueue(c, R"({"type":"follow_ok","payload":{}})");
  FollowProcess follow_ok(server_->port(), "job " + ok + " --follow");
  ASSERT_TRUE(follow_ok.read_until("payload")) << follow_ok.output();  // the job is shown
  auto reserved = reserve_one(c, "follow_ok");
  auto acked = c.request("POST", "/v1/jobs/" + ok + "/ack",
                         R"({"lease":")" + std::string(reserved.at("lease").as_string()) + R"("})");
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(follow_ok.finish(), 0) << follow_ok.output();
  EXPECT_NE(follow_ok.output().find("started"), std::string::npos) << follow_ok.output();
  EXPECT_NE(follow_ok.output().find("completed"), std::string::npos) << follow_ok.output();

  std::string doomed = enqueue(c, R"({"type":"follow_dead","payload":{},"max_attempts":1})");
  FollowProcess follow_dead(server_->port(), "job " + doomed + " --follow --json");
  ASSERT_TRUE(follow_dead.read_until(doomed)) << follow_dead.output();  // the job's JSON line
  auto lease = std::string(reserve_one(c, "follow_dead").at("lease").as_string());
  auto failed =
      c.request("POST", "/v1/jobs/" + doomed + "/fail",
                R"({"lease":")" + lease + R"(","error":{"message":"no","kind":"retry"}})");
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(follow_dead.finish(), 1) << follow_dead.output();
  EXPECT_NE(follow_dead.output().find(R"("event":"dead")"), std::string::npos)
      << follow_dead.output();

  // A job that already finished: shown, then the exit code at once.
  FollowProcess finished(server_->port(), "job " + ok + " --follow");
  EXPECT_EQ(finished.finish(), 0) << finished.output();
}

TEST_F(EventsTest, SigtermEndsStreamsAtOnceAndExitsZero) {
  start({{"SPOOL_EVENTS_KEEPALIVE_MS", "60000"}});
  auto sse = subscribe();
  auto began = std::chrono::steady_clock::now();
  int status = server_->signal_and_wait(SIGTERM, 10);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s) << "a stream held shutdown up";
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(sse->closed_within(1s));
}

}  // namespace
}  // namespace spool::testing
