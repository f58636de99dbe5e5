// POST /v1/reserve (long poll), /v1/jobs/{id}/ack|fail|extend, /v1/settle.
#include <functional>
#include <mutex>
#include <optional>

#include "engine/engine.hpp"
#include "http/encode.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_input.hpp"

namespace spool::http::handlers {
namespace {

Status unknown_job(const std::string& id) {
  return Status(StatusCode::kNotFound, "no job with id " + quote_for_message(id));
}

Status settle_error(const Status& s, const std::string& id) {
  if (s.code() == StatusCode::kNotFound) return unknown_job(id);
  if (s.code() == StatusCode::kLeaseLost && s.message().empty()) {
    return Status(StatusCode::kLeaseLost,
                  "the lease is not the job's current one (it expired or the job was settled)");
  }
  return s;
}

// Jobs reserved for a client that is gone go straight back to their queue without spending an
// attempt, so nothing stays leased until its lease times out.
void release_all(engine::Engine& engine, const std::vector<Job>& jobs) {
  for (const auto& job : jobs) {
    engine::FailItem item;
    item.id = job.id;
    item.lease_token = job.lease_token;
    item.kind = FailKind::kRelease;
    item.message = "the worker disconnected before the job reached it";
    engine.fail(std::move(item), [](const StatusOr<ops::SettleResult>&) {});
  }
}

// Names each refused item by its id, as the answers of POST /v1/settle do.
void name_refusals(const std::vector<std::string>& ids,
                   std::vector<StatusOr<ops::SettleResult>>& results) {
  for (std::size_t i = 0; i < results.size() && i < ids.size(); ++i) {
    auto& r = results[i];
    if (!r) r = tl::unexpected(settle_error(r.error(), ids[i]));
  }
}

// Answers with `make`'s body, which hands `jobs` to the worker. Jobs whose answer could not be
// written (the client left) go back to their queue.
void respond_handing_jobs(const ExchangePtr& ex, engine::Engine& engine,
                          std::shared_ptr<std::vector<Job>> jobs,
                          std::function<std::string()> make) {
  bool taken = ex->respond_with([jobs, &engine, make = std::move(make)] {
    Response resp = json_response(200, make());
    if (!jobs->empty()) {
      resp.on_written = [jobs, &engine](bool written) {
        if (!written) release_all(engine, *jobs);
      };
    }
    return resp;
  });
  // Already answered: the client left while parked and got its empty answer.
  if (!taken) release_all(engine, *jobs);
}

// The answer to a settle with "reserve": both halves arrive on the engine's threads, in either
// order; the second one answers.
struct SettleThenReserve {
  std::mutex mu;
  std::optional<std::vector<StatusOr<ops::SettleResult>>> results;  // guarded by mu
  std::optional<StatusOr<std::vector<Job>>> jobs;                   // guarded by mu
};

void answer_settle_then_reserve(const ExchangePtr& ex, engine::Engine& engine,
                                const std::shared_ptr<std::vector<std::string>>& ids,
                                const std::shared_ptr<SettleThenReserve>& both) {
  auto results =
      std::make_shared<std::vector<StatusOr<ops::SettleResult>>>(std::move(*both->results));
  // The settle stands whatever the reserve says; a refused reserve (the server is stopping)
  // answers its error beside the results.
  auto jobs = std::make_shared<std::vector<Job>>();
  std::optional<Status> refused;
  if (*both->jobs) {
    *jobs = std::move(**both->jobs);
  } else {
    refused = both->jobs->error();
  }
  respond_handing_jobs(ex, engine, jobs, [ids, results, jobs, refused] {
    name_refusals(*ids, *results);
    return encode_settle_then_reserve(*ids, *results, *jobs, refused ? &*refused : nullptr);
  });
}

// POST /v1/settle with "reserve": the settle, then the worker's next jobs, in one request and
// (when the writer takes both together) one transaction, as BullMQ's moveToFinished fetches the
// next job. The settle is submitted first, so it is applied first.
void settle_then_reserve(Context& ctx, SettleRequest parsed,
                         std::shared_ptr<std::vector<std::string>> ids, ExchangePtr ex) {
  auto* engine = &ctx.engine;
  auto both = std::make_shared<SettleThenReserve>();
  const bool long_poll = parsed.reserve->wait_ms > 0;
  engine->settle(std::move(parsed.acks), std::move(parsed.fails),
                 [ex, engine, ids, both](std::vector<StatusOr<ops::SettleResult>> r) {
                   std::unique_lock lock(both->mu);
                   both->results = std::move(r);
                   if (!both->jobs) return;  // the reserve's answer will answer
                   lock.unlock();
                   answer_settle_then_reserve(ex, *engine, ids, both);
                 });
  auto waiter = engine->reserve(std::move(*parsed.reserve),
                                [ex, engine, ids, both](StatusOr<std::vector<Job>> r) {
                                  std::unique_lock lock(both->mu);
                                  both->jobs = std::move(r);
                                  if (!both->results) return;  // the settle's will answer
                                  lock.unlock();
                                  answer_settle_then_reserve(ex, *engine, ids, both);
                                });
  if (long_poll) {
    ex->watch_disconnect([ex, engine, waiter] {
      engine->cancel_waiter(waiter);
      ex->respond(json_response(200, "{\"results\":[],\"jobs\":[]}"));
    });
  }
}

}  // namespace

void reserve(Context& ctx, const Request& req, ExchangePtr ex) {
  auto parsed = parse_reserve(req.body);
  if (!parsed) return respond_error(ex, parsed.error());
  const bool long_poll = parsed->wait_ms > 0;
  auto* engine = &ctx.engine;
  auto waiter = engine->reserve(std::move(*parsed), [ex, engine](StatusOr<std::vector<Job>> r) {
    if (!r) return respond_error(ex, r.error());
    auto jobs = std::make_shared<std::vector<Job>>(std::move(*r));
    respond_handing_jobs(ex, *engine, jobs, [jobs] { return encode_reserved(*jobs); });
  });
  if (long_poll) {
    ex->watch_disconnect([ex, engine, waiter] {
      engine->cancel_waiter(waiter);
      ex->respond(json_response(200, "{\"jobs\":[]}"));
    });
  }
}

void ack(Context& ctx, const Request& req, ExchangePtr ex) {
  auto item = parse_ack(req.params.at(0), req.body);
  if (!item) return respond_error(ex, item.error());
  std::string id = item->id;
  ctx.engine.ack(std::move(*item), [ex, id = std::move(id)](StatusOr<ops::SettleResult> r) {
    if (!r) return respond_error(ex, settle_error(r.error(), id));
    ex->respond(json_response(200, encode_settle_result(*r)));
  });
}

void fail(Context& ctx, const Request& req, ExchangePtr ex) {
  auto item = parse_fail(req.params.at(0), req.body);
  if (!item) return respond_error(ex, item.error());
  std::string id = item->id;
  ctx.engine.fail(std::move(*item), [ex, id = std::move(id)](StatusOr<ops::SettleResult> r) {
    if (!r) return respond_error(ex, settle_error(r.error(), id));
    ex->respond(json_response(200, encode_settle_result(*r, /*with_next_run_at=*/true)));
  });
}

void extend(Context& ctx, const Request& req, ExchangePtr ex) {
  auto item = parse_extend(req.params.at(0), req.body);
  if (!item) return respond_error(ex, item.error());
  std::string id = item->id;
  ctx.engine.extend(std::move(*item), [ex, id = std::move(id)](StatusOr<TimeMs> r) {
    if (!r) return respond_error(ex, settle_error(r.error(), id));
    ex->respond(json_response(200, encode_extend(id, *r)));
  });
}

void settle(Context& ctx, const Request& req, ExchangePtr ex) {
  auto parsed = parse_settle(req.body);
  if (!parsed) return respond_error(ex, parsed.error());
  auto ids = std::make_shared<std::vector<std::string>>();
  ids->reserve(parsed->acks.size() + parsed->fails.size());
  for (const auto& a : parsed->acks) ids->push_back(a.id);
  for (const auto& f : parsed->fails) ids->push_back(f.id);
  if (parsed->reserve) return settle_then_reserve(ctx, std::move(*parsed), ids, ex);
  ctx.engine.settle(std::move(parsed->acks), std::move(parsed->fails),
                    [ex, ids](std::vector<StatusOr<ops::SettleResult>> results) {
                      auto shared = std::make_shared<std::vector<StatusOr<ops::SettleResult>>>(
                          std::move(results));
                      ex->respond_with([ids, shared] {
                        name_refusals(*ids, *shared);
                        return json_response(200, encode_settle_batch(*ids, *shared));
                      });
                    });
}

}  // namespace spool::http::handlers
