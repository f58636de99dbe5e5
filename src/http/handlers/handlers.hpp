// The endpoints: each parses its request (http/requests.hpp), calls the engine and encodes the
// answer (http/encode.hpp); no business logic lives here. The route table (routes.cpp) says
// which path and role reaches which handler. Threading: see http/handler.hpp.
#pragma once

#include <string>
#include <vector>

#include "http/handler.hpp"
#include "http/router.hpp"

namespace spool::http::handlers {

// Producing and inspecting (jobs.cpp)
void enqueue(Context& ctx, const Request& req, ExchangePtr ex);
void enqueue_batch(Context& ctx, const Request& req, ExchangePtr ex);
void get_job(Context& ctx, const Request& req, ExchangePtr ex);
void list_jobs(Context& ctx, const Request& req, ExchangePtr ex);
void cancel_job(Context& ctx, const Request& req, ExchangePtr ex);
void retry_job(Context& ctx, const Request& req, ExchangePtr ex);

// Working (working.cpp)
void reserve(Context& ctx, const Request& req, ExchangePtr ex);
void ack(Context& ctx, const Request& req, ExchangePtr ex);
void fail(Context& ctx, const Request& req, ExchangePtr ex);
void extend(Context& ctx, const Request& req, ExchangePtr ex);
void settle(Context& ctx, const Request& req, ExchangePtr ex);

// Queues and the dead-letter queue (queues.cpp)
void list_queues(Context& ctx, const Request& req, ExchangePtr ex);
void get_queue(Context& ctx, const Request& req, ExchangePtr ex);
void patch_queue(Context& ctx, const Request& req, ExchangePtr ex);
void pause_queue(Context& ctx, const Request& req, ExchangePtr ex);
void resume_queue(Context& ctx, const Request& req, ExchangePtr ex);
void retry_dead(Context& ctx, const Request& req, ExchangePtr ex);
void purge_queue(Context& ctx, const Request& req, ExchangePtr ex);
void stats(Context& ctx, const Request& req, ExchangePtr ex);

// Schedules (schedules.cpp)
void create_schedule(Context& ctx, const Request& req, ExchangePtr ex);
void list_schedules(Context& ctx, const Request& req, ExchangePtr ex);
void get_schedule(Context& ctx, const Request& req, ExchangePtr ex);
void patch_schedule(Context& ctx, const Request& req, ExchangePtr ex);
void delete_schedule(Context& ctx, const Request& req, ExchangePtr ex);
void trigger_schedule(Context& ctx, const Request& req, ExchangePtr ex);

// Watching (health.cpp)
void healthz(Context& ctx, const Request& req, ExchangePtr ex);
void readyz(Context& ctx, const Request& req, ExchangePtr ex);  // metrics.cpp
void metrics(Context& ctx, const Request& req, ExchangePtr ex);
void metrics_summary(Context& ctx, const Request& req, ExchangePtr ex);

// Live events (events.cpp)
void events(Context& ctx, const Request& req, ExchangePtr ex);

// The dashboard and the caller's roles (dashboard.cpp)
void dashboard_index(Context& ctx, const Request& req, ExchangePtr ex);
void dashboard_asset(Context& ctx, const Request& req, ExchangePtr ex);
void whoami(Context& ctx, const Request& req, ExchangePtr ex);

}  // namespace spool::http::handlers

namespace spool::http {
// Every route the server answers, with the roles each needs (API.md "Auth").
std::vector<Route> api_routes();
// GET /v1/whoami's body: {"role": the first of admin, producer, worker, reader held (null when
// none), "roles": [...], "auth": false when no token is configured}.
std::string whoami_body(RoleSet roles, bool auth_enabled);
}  // namespace spool::http
