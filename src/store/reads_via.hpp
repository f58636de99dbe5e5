// ReadsVia<Base>: implements StoreReader's reads for a class derived from Base (Store or
// StoreReader) by handing each to reads(), a StoreReader object of the derived class's own.
// For a Store whose reads live in such an object: SqliteStore (its SqliteReader over the
// writer's connection) and FaultInjectingStore (its guarded reader over the inner store), so
// that each of them writes the list once. Threading: as Base.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace spool::store {

template <typename Base>
class ReadsVia : public Base {
 public:
  StatusOr<Job> get_job(const std::string& id) override { return reads().get_job(id); }
  StatusOr<JobPage> list_jobs(const JobFilter& filter) override {
    return reads().list_jobs(filter);
  }
  StatusOr<QueueInfo> get_queue(const std::string& name) override {
    return reads().get_queue(name);
  }
  StatusOr<std::vector<QueueInfo>> list_queues() override { return reads().list_queues(); }
  StatusOr<Stats> stats() override { return reads().stats(); }
  StatusOr<std::vector<MinuteStats>> minute_stats(
      TimeMs from, const std::optional<std::string>& queue) override {
    return reads().minute_stats(from, queue);
  }
  StatusOr<std::vector<QueueBacklog>> backlog(TimeMs overdue_before) override {
    return reads().backlog(overdue_before);
  }
  StatusOr<void> ping() override { return reads().ping(); }
  StatusOr<Schedule> get_schedule(const std::string& id) override {
    return reads().get_schedule(id);
  }
  StatusOr<std::vector<Schedule>> list_schedules() override { return reads().list_schedules(); }

 protected:
  virtual StoreReader& reads() = 0;
};

}  // namespace spool::store
