// POST /v1/reserve (long poll), /v1/jobs/{id}/ack|fail|extend, /v1/settle.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <mutex>
#include <optional>

#include "engine/engine.hpp"
#include "http/encode.hpp"
#include "http/errors.hpp"
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
  if (!*both->jobs) {
    // The settle is done whatever the reserve says; its results still go back. A refused
    // reserve (the server is stopping) answers its error beside them.
    Status why = both->jobs->error();
    ex->respond_with([ids, results, why] {
      for (std::size_t i = 0; i < results->size() && i < ids->size(); ++i) {
        auto& r = (*results)[i];
        if (!r) r = tl::unexpected(settle_error(r.error(), (*ids)[i]));
      }
      std::string body = encode_settle_batch(*ids, *results);
      body.pop_back();  // the closing brace: "reserve_error" joins the same object
      body += ",\"jobs\":[],\"reserve_error\":{\"code\":\"" +
              std::string(map_status(why.code()).code) +
              "\",\"message\":" + boost::json::serialize(boost::json::value(why.message())) + "}}";
      return json_response(200, body);
    });
    return;
  }
  auto jobs = std::make_shared<std::vector<Job>>(std::move(**both->jobs));
  bool taken = ex->respond_with([ids, results, jobs, &engine] {
    for (std::size_t i = 0; i < results->size() && i < ids->size(); ++i) {
      auto& r = (*results)[i];
      if (!r) r = tl::unexpected(settle_error(r.error(), (*ids)[i]));
    }
    std::string body = encode_settle_batch(*ids, *results);
    std::string reserved = encode_reserved(*jobs);
    body.pop_back();  // {"results":[...]}  +  {"jobs":[...]}  ->  {"results":[...],"jobs":[...]}
    body += ',';
    body.append(reserved, 1, std::string::npos);
    Response resp = json_response(200, body);
    if (!jobs->empty()) {
      resp.on_written = [jobs, &engine](bool written) {
        if (!written) release_all(engine, *jobs);
      };
    }
    return resp;
  });
  if (!taken) release_all(engine, *jobs);
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
    bool taken = ex->respond_with([jobs, engine] {
      Response resp = json_response(200, encode_reserved(*jobs));
      if (!jobs->empty()) {
        resp.on_written = [jobs, engine](bool written) {
          if (!written) release_all(*engine, *jobs);
        };
      }
      return resp;
    });
    // Already answered: the client left while parked and got its empty answer.
    if (!taken) release_all(*engine, *jobs);
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
                        for (std::size_t i = 0; i < shared->size() && i < ids->size(); ++i) {
                          auto& r = (*shared)[i];
                          if (!r) r = tl::unexpected(settle_error(r.error(), (*ids)[i]));
                        }
                        return json_response(200, encode_settle_batch(*ids, *shared));
                      });
                    });
}

}  // namespace spool::http::handlers
