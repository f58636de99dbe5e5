#include "metrics/readiness_cache.hpp"

#include <utility>

namespace spool::metrics {

void ReadinessCache::get(const Probe& probe, Answer answer) {
  std::optional<ReadinessProbe> cached;
  {
    std::lock_guard lock(mu_);
    if (last_ && clock_.now_ms() - last_at_ < max_age_ms_) {
      cached = last_;
    } else {
      waiting_.push_back(std::move(answer));
      if (probing_) return;
      probing_ = true;
      probe_started_at_ = clock_.now_ms();
    }
  }
  if (cached) return answer(*cached);
  // Outside the lock: a probe that answers at once (the engine stopped) comes straight back.
  probe([this](const ReadinessProbe& fresh) { store(fresh); });
}

void ReadinessCache::store(const ReadinessProbe& fresh) {
  std::vector<Answer> answers;
  {
    std::lock_guard lock(mu_);
    last_ = fresh;
    // Its age counts from when it was asked for: the store was seen at some moment in between.
    last_at_ = probe_started_at_;
    probing_ = false;
    answers.swap(waiting_);
  }
  for (Answer& a : answers) a(fresh);
}

}  // namespace spool::metrics
