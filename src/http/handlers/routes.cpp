// The route table: every path the server answers and the roles it needs (API.md "Auth":
// producer enqueues and reads jobs, worker works and reads jobs, reader reads everything,
// admin does everything). A new endpoint => a row here, a handler, docs/openapi.yaml.
#include "http/handlers/handlers.hpp"

namespace spool::http {

std::vector<Route> api_routes() {
  using M = Method;
  namespace h = handlers;
  constexpr Access kPublic{true, 0};
  constexpr Access kProduce{false, role_bit(Role::kProducer)};
  constexpr Access kWork{false, role_bit(Role::kWorker)};
  constexpr Access kReadJobs{
      false, static_cast<RoleSet>(role_bit(Role::kProducer) | role_bit(Role::kWorker) |
                                  role_bit(Role::kReader))};
  constexpr Access kRead{false, role_bit(Role::kReader)};
  constexpr Access kAdmin{false, role_bit(Role::kAdmin)};
  constexpr Access kAnyToken{false, kAllRoles};
  // Order matters where a literal and a capture overlap: /v1/jobs/batch before /v1/jobs/{}.
  return {
      {M::kGet, "/", h::dashboard_index, kPublic},
      {M::kGet, "/assets/{}", h::dashboard_asset, kPublic},
      {M::kGet, "/healthz", h::healthz, kPublic},
      {M::kGet, "/readyz", h::readyz, kPublic},
      {M::kPost, "/v1/jobs/batch", h::enqueue_batch, kProduce},
      {M::kPost, "/v1/jobs", h::enqueue, kProduce},
      {M::kGet, "/v1/jobs", h::list_jobs, kReadJobs},
      {M::kGet, "/v1/jobs/{}", h::get_job, kReadJobs},
      {M::kDelete, "/v1/jobs/{}", h::cancel_job, kAdmin},
      {M::kPost, "/v1/jobs/{}/retry", h::retry_job, kAdmin},
      {M::kPost, "/v1/jobs/{}/ack", h::ack, kWork},
      {M::kPost, "/v1/jobs/{}/fail", h::fail, kWork},
      {M::kPost, "/v1/jobs/{}/extend", h::extend, kWork},
      {M::kPost, "/v1/reserve", h::reserve, kWork},
      {M::kPost, "/v1/settle", h::settle, kWork},
      {M::kGet, "/v1/queues", h::list_queues, kRead},
      {M::kGet, "/v1/queues/{}", h::get_queue, kRead},
      {M::kPatch, "/v1/queues/{}", h::patch_queue, kAdmin},
      {M::kPost, "/v1/queues/{}/pause", h::pause_queue, kAdmin},
      {M::kPost, "/v1/queues/{}/resume", h::resume_queue, kAdmin},
      {M::kPost, "/v1/queues/{}/retry-dead", h::retry_dead, kAdmin},
      {M::kDelete, "/v1/queues/{}/jobs", h::purge_queue, kAdmin},
      {M::kGet, "/v1/stats", h::stats, kRead},
      {M::kPost, "/v1/schedules", h::create_schedule, kAdmin},
      {M::kGet, "/v1/schedules", h::list_schedules, kRead},
      {M::kGet, "/v1/schedules/{}", h::get_schedule, kRead},
      {M::kPatch, "/v1/schedules/{}", h::patch_schedule, kAdmin},
      {M::kDelete, "/v1/schedules/{}", h::delete_schedule, kAdmin},
      {M::kPost, "/v1/schedules/{}/trigger", h::trigger_schedule, kAdmin},
      // Made public by [watch] metrics_public (server.cpp).
      {M::kGet, "/metrics", h::metrics, kRead},
      {M::kGet, "/v1/metrics/summary", h::metrics_summary, kRead},
      {M::kGet, "/v1/events", h::events, kReadJobs},
      {M::kGet, "/v1/whoami", h::whoami, kAnyToken},
  };
}

}  // namespace spool::http
