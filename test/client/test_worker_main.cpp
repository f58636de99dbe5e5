// spool_test_worker: a spool::Worker in a process of its own, for the tests that kill it, signal
// it, or take its server away. Its behaviour comes from the environment:
//   SPOOL_URL        the server
//   TW_QUEUE         queue to work (default "tw"); the handled job type is "sleep"
//   TW_CONCURRENCY   default 1        TW_PREFETCH  default 0
//   TW_LEASE_MS      lease asked for (default: the job's own)
//   TW_GRACE_MS      shutdown grace (default 30000)
//   TW_SLEEP_MS      how long each handler runs (default 0); a payload's "sleep_ms" overrides
//   TW_EVENTS        a file that gets one line per event: "start ID ATTEMPT", "done ID",
//                    "stopped ID" (its stop_token was requested)
// The worker's log goes to stderr. Exits 0 when run() returns, 2 when it could not start.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "spool/client.hpp"
#include "spool/worker.hpp"

namespace {

long env_int(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

void event(const std::string& line) {
  static const char* path = std::getenv("TW_EVENTS");
  if (!path) return;
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  std::string text = line + "\n";
  [[maybe_unused]] ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
}

}  // namespace

int main() {
  auto client = spool::Client::create(spool::ClientOptions::from_env());
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().message.c_str());
    return 2;
  }
  spool::WorkerOptions options;
  options.queues = {std::getenv("TW_QUEUE") ? std::getenv("TW_QUEUE") : "tw"};
  options.concurrency = static_cast<int>(env_int("TW_CONCURRENCY", 1));
  options.prefetch = static_cast<int>(env_int("TW_PREFETCH", 0));
  if (long lease = env_int("TW_LEASE_MS", 0); lease > 0) options.lease = spool::Millis(lease);
  options.shutdown_grace = spool::Millis(env_int("TW_GRACE_MS", 30000));
  options.poll_wait = spool::Millis(5000);
  const long default_sleep = env_int("TW_SLEEP_MS", 0);

  spool::Worker worker(*client, options);
  worker.handle("sleep", [default_sleep](spool::Job& job) {
    event("start " + job.id() + " " + std::to_string(job.attempt()));
    long sleep_ms = default_sleep;
    if (const auto* o = job.payload().if_object()) {
      if (const auto* v = o->if_contains("sleep_ms"); v && v->is_int64()) sleep_ms = v->get_int64();
    }
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(sleep_ms);
    while (std::chrono::steady_clock::now() < end) {
      if (job.stop_requested()) {
        event("stopped " + job.id());
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    event("done " + job.id());
  });
  auto ran = worker.run();
  if (!ran) {
    std::fprintf(stderr, "cannot run: %s\n", ran.error().message.c_str());
    return 2;
  }
  return 0;
}
