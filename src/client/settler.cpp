#include "client/settler.hpp"

#include <algorithm>

#include "client/codec.hpp"

namespace spool::client {

using std::chrono::steady_clock;

Settler::Settler(Client& client, ServerPresence& presence, LogSink log)
    : client_(client), presence_(presence), log_(std::move(log)) {}

Settler::~Settler() { finish(steady_clock::now()); }

void Settler::start() {
  {
    std::lock_guard lock(mutex_);
    finishing_ = false;
    closed_ = false;
    give_up_by_ = SteadyTime::max();
  }
  thread_ = std::thread([this] { loop(); });
}

void Settler::ack(const ActiveJob& job, std::optional<boost::json::value> result) {
  push(Item{job.reserved.id,
            job.reserved.type,
            job.reserved.lease,
            true,
            std::move(result),
            {},
            job.lease_expiry()});
}

void Settler::fail(const ActiveJob& job, Failure failure) {
  push(Item{job.reserved.id, job.reserved.type, job.reserved.lease, false, std::nullopt,
            std::move(failure), job.lease_expiry()});
}

void Settler::push(Item item) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void Settler::finish(SteadyTime give_up_by) {
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
    give_up_by_ = give_up_by;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Settler::loop() {
  RetryBackoff backoff;
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, [&] { return !queue_.empty() || finishing_; });
    if (queue_.empty()) {  // finishing, and everything went out
      closed_ = true;
      return;
    }
    std::vector<Item> batch;
    std::size_t n = std::min(queue_.size(), kMaxBatch);
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::vector<Item> again = send(std::move(batch));
    lock.lock();
    if (again.empty()) {
      backoff.reset();
      continue;
    }
    auto now = steady_clock::now();
    for (auto it = again.rbegin(); it != again.rend(); ++it) {
      bool lease_over = it->lease_expiry <= now;
      if (lease_over || now >= give_up_by_) {
        write_log(
            log_, LogLevel::kWarn,
            "job " + it->id + " (" + it->type + "): gave up settling it (" +
                (it->ack ? std::string("ack") : std::string(failure_kind_name(it->failure.kind))) +
                ") because " +
                (lease_over ? "its lease ran out while the server was away"
                            : "the worker is shutting down and the server is away") +
                "; the server will run it again");
        continue;
      }
      queue_.push_front(std::move(*it));  // back in front, in their order
    }
    if (queue_.empty()) continue;
    // Wait before the next try; outcomes arriving meanwhile join it. Spurious wake-ups only
    // bring the next try forward.
    cv_.wait_until(lock, std::min(now + backoff.next(), give_up_by_));
  }
}

std::vector<Settler::Item> Settler::send(std::vector<Item> batch) {
  std::vector<Client::AckItem> acks;
  std::vector<Client::FailItem> fails;
  std::vector<const Item*> order;  // the answer lists acks first, then fails
  order.reserve(batch.size());
  for (const auto& item : batch) {
    if (item.ack) {
      acks.push_back({item.id, item.lease, item.result});
      order.push_back(&item);
    }
  }
  for (const auto& item : batch) {
    if (!item.ack) {
      fails.push_back({item.id, item.lease, item.failure});
      order.push_back(&item);
    }
  }
  auto answer = client_.settle(acks, fails);
  if (answer) {
    presence_.answered();
    for (std::size_t i = 0; i < answer->size(); ++i) {
      if (!(*answer)[i]) report_refused(*order[i], (*answer)[i].error());
    }
    return {};
  }
  const Error& e = answer.error();
  if (e.transient()) {
    presence_.failed(e);
    return batch;
  }
  presence_.answered();
  if (batch.size() == 1) {
    report_refused(batch.front(), e);
    return {};
  }
  // The request as a whole was refused (413 for a large result, say): each item alone, so one
  // bad item fails only itself.
  std::vector<Item> again;
  for (auto& item : batch) {
    std::vector<Item> one;
    one.push_back(std::move(item));
    for (auto& left : send(std::move(one))) again.push_back(std::move(left));
  }
  return again;
}

void Settler::report_refused(const Item& item, const Error& e) {
  bool lost = e.code == "lease_lost" || e.code == "timed_out" || e.code == "not_found";
  write_log(
      log_, lost ? LogLevel::kWarn : LogLevel::kError,
      "job " + item.id + " (" + item.type + "): the server refused its " +
          (item.ack ? std::string("ack") : std::string(failure_kind_name(item.failure.kind))) +
          " (" + e.code + ": " + e.message + ")" +
          (lost ? "; another worker may hold it now"
                : "; it will run again when its lease runs out"));
}

}  // namespace spool::client
