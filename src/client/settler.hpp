// Settler: one thread that tells the server what became of the worker's jobs. Outcomes queue up
// here and go out in POST /v1/settle requests, one in flight at a time, each carrying everything
// that piled up while the previous one was on the wire (group commit, as in leveldb's
// DBImpl::Write): one job settles in one round trip when the worker is idle, hundreds do under
// load.
//
// Failures:
//   - no answer (server away): the batch is kept and retried with backoff; an item is dropped,
//     with a warning, once its lease would have run out (the server has taken the job back, and
//     will answer lease_lost anyway) or, after finish(), at the give-up time.
//   - the request as a whole refused (a result past the body limit, say): each item is sent on
//     its own so one bad item fails only itself.
//   - one item refused (lease_lost): logged; the others stand (API.md: each item stands alone).
//
// Ownership: owned by the worker. Threading: ack(), fail() and finish() from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/active_job.hpp"
#include "client/reconnect.hpp"
#include "client/worker_log.hpp"
#include "spool/client.hpp"

namespace spool::client {

class Settler {
 public:
  Settler(Client& client, ServerPresence& presence, LogSink log);
  ~Settler();
  Settler(const Settler&) = delete;
  Settler& operator=(const Settler&) = delete;

  void start();
  void ack(const ActiveJob& job, std::optional<boost::json::value> result);
  void fail(const ActiveJob& job, Failure failure);
  // Sends everything queued, retrying while the server is away but not past `give_up_by`, then
  // ends the thread. Outcomes queued after this are dropped.
  void finish(SteadyTime give_up_by);

  // At most this many items per request (API.md: up to 1000 in all).
  static constexpr std::size_t kMaxBatch = 1000;

 private:
  struct Item {
    std::string id;
    std::string type;
    std::string lease;
    bool ack = false;
    std::optional<boost::json::value> result;
    Failure failure;
    SteadyTime lease_expiry;
  };

  void push(Item item);
  void loop();
  // Sends one batch; answers the items to try again (no answer from the server).
  std::vector<Item> send(std::vector<Item> batch);
  void report_refused(const Item& item, const Error& e);

  Client& client_;
  ServerPresence& presence_;
  const LogSink log_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Item> queue_;                     // guarded by mutex_
  bool finishing_ = false;                     // guarded by mutex_
  bool closed_ = true;                         // guarded by mutex_: no thread to send them
  SteadyTime give_up_by_ = SteadyTime::max();  // guarded by mutex_
  std::thread thread_;
};

}  // namespace spool::client
