// POST|GET /v1/schedules, GET|PATCH|DELETE /v1/schedules/{id}, POST /v1/schedules/{id}/trigger.
#include "engine/engine.hpp"
#include "http/encode.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_input.hpp"

namespace spool::http::handlers {
namespace {

Status unknown_schedule(const std::string& id) {
  return Status(StatusCode::kNotFound, "no schedule with id " + quote_for_message(id));
}

// Ids are ULIDs; anything longer names no schedule (404, as for job ids).
bool plausible_id(const std::string& id) { return !id.empty() && id.size() <= kMaxIdBytes; }

engine::Callback<Schedule> answer_schedule(ExchangePtr ex, int status, std::string id = {}) {
  return [ex = std::move(ex), status, id = std::move(id)](StatusOr<Schedule> s) {
    if (!s) {
      bool not_found = s.error().code() == StatusCode::kNotFound && !id.empty();
      return respond_error(ex, not_found ? unknown_schedule(id) : s.error());
    }
    ex->respond(json_response(status, encode_schedule(*s)));
  };
}

}  // namespace

void create_schedule(Context& ctx, const Request& req, ExchangePtr ex) {
  auto spec = parse_schedule_create(req.body);
  if (!spec) return respond_error(ex, spec.error());
  ctx.engine.create_schedule(std::move(*spec), answer_schedule(ex, 201));
}

void list_schedules(Context& ctx, const Request&, ExchangePtr ex) {
  ctx.engine.list_schedules([ex](StatusOr<std::vector<Schedule>> all) {
    if (!all) return respond_error(ex, all.error());
    auto shared = std::make_shared<std::vector<Schedule>>(std::move(*all));
    ex->respond_with([shared] { return json_response(200, encode_schedules(*shared)); });
  });
}

void get_schedule(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& id = req.params.at(0);
  if (!plausible_id(id)) return respond_error(ex, unknown_schedule(id));
  ctx.engine.get_schedule(id, [ex, id](StatusOr<engine::ScheduleView> v) {
    if (!v) {
      bool not_found = v.error().code() == StatusCode::kNotFound;
      return respond_error(ex, not_found ? unknown_schedule(id) : v.error());
    }
    ex->respond(json_response(200, encode_schedule(v->schedule, &v->next_runs)));
  });
}

void patch_schedule(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& id = req.params.at(0);
  if (!plausible_id(id)) return respond_error(ex, unknown_schedule(id));
  auto patch = parse_schedule_patch(req.body);
  if (!patch) return respond_error(ex, patch.error());
  ctx.engine.patch_schedule(id, std::move(*patch), answer_schedule(ex, 200, id));
}

void delete_schedule(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& id = req.params.at(0);
  if (!plausible_id(id)) return respond_error(ex, unknown_schedule(id));
  ctx.engine.delete_schedule(id, [ex, id](StatusOr<void> done) {
    if (!done) {
      bool not_found = done.error().code() == StatusCode::kNotFound;
      return respond_error(ex, not_found ? unknown_schedule(id) : done.error());
    }
    Response r;
    r.status = 204;
    ex->respond(std::move(r));
  });
}

void trigger_schedule(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& id = req.params.at(0);
  if (!plausible_id(id)) return respond_error(ex, unknown_schedule(id));
  ctx.engine.trigger_schedule(id, [ex, id](StatusOr<ops::EnqueueResult> r) {
    if (!r) {
      bool not_found = r.error().code() == StatusCode::kNotFound;
      return respond_error(ex, not_found ? unknown_schedule(id) : r.error());
    }
    ex->respond(json_response(202, encode_enqueue_result(*r)));
  });
}

}  // namespace spool::http::handlers
