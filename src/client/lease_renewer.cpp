#include "client/lease_renewer.hpp"

#include <algorithm>
#include <vector>

namespace spool::client {

namespace {

using std::chrono::steady_clock;

// Progress goes out at most this often per job (worker.hpp: "at most a second from now").
constexpr auto kProgressInterval = std::chrono::seconds(1);
// The renewal interval when neither the worker nor the server said how long the lease is.
constexpr Millis kUnknownLeaseRenewal{1000};

bool lease_refused(const Error& e) {
  // timed_out: the attempt ran past its timeout_ms and the server failed it as a timeout.
  return e.code == "lease_lost" || e.code == "timed_out" || e.code == "not_found" ||
         e.code == "conflict";
}

}  // namespace

LeaseRenewer::LeaseRenewer(Client& client, ServerPresence& presence, LogSink log,
                           std::optional<Millis> lease)
    : client_(client), presence_(presence), log_(std::move(log)), lease_(lease) {}

LeaseRenewer::~LeaseRenewer() { stop(); }

void LeaseRenewer::start() {
  {
    std::lock_guard lock(signal_->mutex);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void LeaseRenewer::stop() {
  {
    std::lock_guard lock(signal_->mutex);
    stopping_ = true;
  }
  signal_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(signal_->mutex);
  entries_.clear();
}

Millis LeaseRenewer::lease_length(const ReservedJob& job) const {
  if (lease_) return *lease_;
  return job.lease_length;
}

void LeaseRenewer::add(std::shared_ptr<ActiveJob> job, SteadyTime granted) {
  Millis length = lease_length(job->reserved);
  SteadyTime renew_at = granted + (length.count() > 0 ? length / 2 : kUnknownLeaseRenewal);
  bool wake;
  {
    std::lock_guard lock(signal_->mutex);
    std::string id = job->reserved.id;
    entries_[id] = Entry{std::move(job), renew_at, {}, 0};
    wake = renew_at < wake_at_;
  }
  // Only when this job is due before the thread means to wake anyway: under load, adds come at
  // the rate jobs are reserved and waking the renewer for each would cost a context switch.
  if (wake) signal_->cv.notify_all();
}

void LeaseRenewer::remove(const std::string& id) {
  std::lock_guard lock(signal_->mutex);
  entries_.erase(id);
}

void LeaseRenewer::loop() {
  std::unique_lock lock(signal_->mutex);
  std::vector<Due> due;
  while (!stopping_) {
    auto now = steady_clock::now();
    SteadyTime next = SteadyTime::max();
    due.clear();
    for (auto& [id, e] : entries_) {
      SteadyTime at = e.renew_at;
      const Job::Shared& shared = *e.job->shared;
      bool fresh_progress = shared.progress && shared.progress_version != e.progress_sent_version;
      if (fresh_progress) at = std::min(at, e.progress_sent_at + kProgressInterval);
      if (at <= now) {
        Due d{e.job, std::nullopt, 0};
        if (fresh_progress) {
          d.progress = *shared.progress;
          d.progress_version = shared.progress_version;
        }
        due.push_back(std::move(d));
      } else {
        next = std::min(next, at);
      }
    }
    if (due.empty()) {
      wake_at_ = next;
      if (next == SteadyTime::max()) {
        signal_->cv.wait(lock);
      } else {
        signal_->cv.wait_until(lock, next);
      }
      wake_at_ = SteadyTime::min();  // awake: adds need not notify
      continue;
    }
    // Push each due job's next try past now before unlocking, so a renewal that fails without
    // an answer is not retried in a tight loop.
    for (auto& d : due) {
      auto it = entries_.find(d.job->reserved.id);
      Millis length = lease_length(d.job->reserved);
      Millis retry = std::clamp(length / 4, Millis(50), Millis(1000));
      if (length.count() <= 0) retry = kUnknownLeaseRenewal;
      it->second.renew_at = now + retry;
      if (d.progress) it->second.progress_sent_at = now;
    }
    lock.unlock();
    for (auto& d : due) renew(d);
    lock.lock();
  }
}

// Called without the lock.
void LeaseRenewer::renew(Due& due) {
  ActiveJob& job = *due.job;
  const ReservedJob& r = job.reserved;
  Millis length = lease_length(r);
  std::optional<Millis> ask;
  if (length.count() > 0) ask = length;
  auto sent = steady_clock::now();
  auto renewed = client_.extend(r.id, r.lease, ask, due.progress);
  if (renewed) {
    presence_.answered();
    if (length.count() > 0) job.set_lease_expiry(sent + length);
    std::lock_guard lock(signal_->mutex);
    auto it = entries_.find(r.id);
    if (it == entries_.end() || it->second.job != due.job) return;
    it->second.renew_at = sent + (length.count() > 0 ? length / 2 : kUnknownLeaseRenewal);
    if (due.progress) it->second.progress_sent_version = due.progress_version;
    return;
  }
  const Error& e = renewed.error();
  if (e.transient()) {
    presence_.failed(e);
    return;  // retried at the renew_at set before the call
  }
  presence_.answered();
  if (lease_refused(e)) {
    remove(r.id);
    if (job.try_claim()) {
      write_log(log_, LogLevel::kWarn,
                "job " + r.id + " (" + r.type + "): the server refused to renew its lease (" +
                    e.code + ": " + e.message +
                    "); asked its handler to stop, and its outcome will not be settled");
      job.stop.request_stop();
    }
    return;
  }
  write_log(log_, LogLevel::kWarn,
            "job " + r.id + " (" + r.type + "): could not renew its lease (" + e.code + ": " +
                e.message + "); trying again");
}

}  // namespace spool::client
