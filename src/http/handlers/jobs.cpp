// POST /v1/jobs, POST /v1/jobs/batch, GET /v1/jobs, GET|DELETE /v1/jobs/{id},
// POST /v1/jobs/{id}/retry.
#include "engine/engine.hpp"
#include "http/encode.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_input.hpp"

namespace spool::http::handlers {
namespace {

Status unknown_job(const std::string& id) {
  return Status(StatusCode::kNotFound, "no job with id " + quote_for_message(id));
}

// 409 for cancel/retry carries the job's current state, read after the refusal.
void answer_conflict_with_state(engine::Engine& engine, const ExchangePtr& ex, std::string id,
                                Status conflict) {
  engine.get_job(std::move(id), [ex, conflict = std::move(conflict)](StatusOr<Job> job) {
    if (!job) {
      respond_error(ex, conflict);
      return;
    }
    std::string extra = "\"state\":\"" + std::string(to_string(job->state)) + "\"";
    ex->respond(error_response(conflict, extra));
  });
}

// 400 naming the first job whose callback_url the allow list refuses.
Status check_callbacks(const Context& ctx, const std::vector<engine::EnqueueRequest>& jobs,
                       bool batch) {
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!jobs[i].callback_url) continue;
    std::string field =
        batch ? "jobs[" + std::to_string(i) + "].callback_url" : std::string("callback_url");
    if (Status s = ctx.callbacks.check(*jobs[i].callback_url, field); !s.ok()) return s;
  }
  return Status();
}

}  // namespace

void enqueue(Context& ctx, const Request& req, ExchangePtr ex) {
  auto job = parse_enqueue(req.body);
  if (!job) return respond_error(ex, job.error());
  std::vector<engine::EnqueueRequest> jobs;
  jobs.push_back(std::move(*job));
  if (Status s = check_callbacks(ctx, jobs, false); !s.ok()) return respond_error(ex, s);
  ctx.engine.enqueue(std::move(jobs), [ex](StatusOr<std::vector<ops::EnqueueResult>> r) {
    if (!r) return respond_error(ex, r.error());
    if (r->empty())
      return respond_error(ex, Status(StatusCode::kInternal, "enqueue answered no job"));
    const auto& one = r->front();
    Response response = json_response(one.deduplicated ? 200 : 202, encode_enqueue_result(one));
    // Where to follow the job (the earlier one's, on a dedupe hit). Ids are ULIDs: URL-safe.
    response.headers.emplace_back("Location", "/v1/jobs/" + one.id);
    ex->respond(std::move(response));
  });
}

void enqueue_batch(Context& ctx, const Request& req, ExchangePtr ex) {
  auto jobs = parse_enqueue_batch(req.body);
  if (!jobs) return respond_error(ex, jobs.error());
  if (Status s = check_callbacks(ctx, *jobs, true); !s.ok()) return respond_error(ex, s);
  ctx.engine.enqueue(std::move(*jobs), [ex](StatusOr<std::vector<ops::EnqueueResult>> r) {
    if (!r) return respond_error(ex, r.error());
    auto results = std::make_shared<std::vector<ops::EnqueueResult>>(std::move(*r));
    ex->respond_with([results] { return json_response(202, encode_enqueue_batch(*results)); });
  });
}

void get_job(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& id = req.params.at(0);
  if (id.size() > kMaxIdBytes) return respond_error(ex, unknown_job(id));
  ctx.engine.get_job(id, [ex, id](StatusOr<Job> job) {
    if (!job) {
      return respond_error(
          ex, job.error().code() == StatusCode::kNotFound ? unknown_job(id) : job.error());
    }
    auto shared = std::make_shared<Job>(std::move(*job));
    ex->respond_with([shared] { return json_response(200, encode_job(*shared)); });
  });
}

void list_jobs(Context& ctx, const Request& req, ExchangePtr ex) {
  auto filter = parse_list_jobs(*req.query);
  if (!filter) return respond_error(ex, filter.error());
  ctx.engine.list_jobs(std::move(*filter), [ex](StatusOr<ops::JobPage> page) {
    if (!page) return respond_error(ex, page.error());
    auto shared = std::make_shared<ops::JobPage>(std::move(*page));
    ex->respond_with([shared] { return json_response(200, encode_job_page(*shared)); });
  });
}

void cancel_job(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& id = req.params.at(0);
  if (id.size() > kMaxIdBytes) return respond_error(ex, unknown_job(id));
  auto* engine = &ctx.engine;
  engine->cancel(id, [ex, engine, id](StatusOr<ops::SettleResult> r) {
    if (r) return void(ex->respond(json_response(200, encode_settle_result(*r))));
    if (r.error().code() == StatusCode::kConflict) {
      return answer_conflict_with_state(*engine, ex, id, r.error());
    }
    respond_error(ex, r.error().code() == StatusCode::kNotFound ? unknown_job(id) : r.error());
  });
}

void retry_job(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& id = req.params.at(0);
  if (id.size() > kMaxIdBytes) return respond_error(ex, unknown_job(id));
  auto* engine = &ctx.engine;
  engine->retry(id, [ex, engine, id](StatusOr<ops::SettleResult> r) {
    if (r) return void(ex->respond(json_response(200, encode_settle_result(*r))));
    if (r.error().code() == StatusCode::kConflict) {
      return answer_conflict_with_state(*engine, ex, id, r.error());
    }
    respond_error(ex, r.error().code() == StatusCode::kNotFound ? unknown_job(id) : r.error());
  });
}

}  // namespace spool::http::handlers
