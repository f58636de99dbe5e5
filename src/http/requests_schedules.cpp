// Decoding POST /v1/schedules and PATCH /v1/schedules/{id} (see requests.hpp). The timing is
// checked in full here (cron parses, zone exists, interval in range) so a bad schedule is a 400
// that points at its field, never a schedule that silently never fires.
#include <boost/json/value.hpp>

#include "engine/schedule_plan.hpp"
#include "http/json_input.hpp"
#include "http/raw_json.hpp"
#include "http/request_fields.hpp"
#include "http/requests.hpp"

namespace spool::http {
namespace {

// The fields POST and PATCH share, each set when given.
StatusOr<engine::SchedulePatch> read_fields(const boost::json::object& o, std::string_view raw) {
  FieldReader r(o, {}, raw);
  engine::SchedulePatch f;
  if (!r.opt_name("name", f.name) || !r.opt_string("cron", kMaxCronBytes, f.cron) ||
      !r.opt_int("every_ms", kMinEveryMs, kMaxEveryMs, f.every_ms) ||
      !r.opt_string("timezone", kMaxTimeZoneBytes, f.timezone) || !r.opt_bool("paused", f.paused)) {
    return tl::unexpected(r.take_status());
  }
  if (f.cron && f.every_ms) {
    return invalid("every_ms", "give either cron or every_ms, not both");
  }
  std::optional<std::string> text;
  if (!r.opt_string("misfire", 16, text)) return tl::unexpected(r.take_status());
  if (text) {
    f.misfire = parse_misfire_policy(*text);
    if (!f.misfire) {
      return invalid("misfire",
                     "misfire must be skip or run_once, got " + quote_for_message(*text));
    }
  }
  text.reset();
  if (!r.opt_string("overlap", 16, text)) return tl::unexpected(r.take_status());
  if (text) {
    f.overlap = parse_overlap_policy(*text);
    if (!f.overlap) {
      return invalid("overlap", "overlap must be allow or skip, got " + quote_for_message(*text));
    }
  }
  const boost::json::object* job = nullptr;
  if (!r.opt_object("job", job)) return tl::unexpected(r.take_status());
  if (job) {
    auto t = decode_job_template(*job, "job.", raw_member(raw, "job").value_or(""));
    if (!t) return tl::unexpected(std::move(t.error()));
    f.job = std::move(*t);
  }
  if (!r.refuse_unknown()) return tl::unexpected(r.take_status());
  return f;
}

// Checks cron, every_ms and timezone as the engine will evaluate them.
Status check_fields_timing(const std::optional<std::string>& cron,
                           const std::optional<std::int64_t>& every_ms,
                           const std::string& timezone) {
  Schedule probe;
  probe.cron = cron;
  probe.every_ms = every_ms;
  probe.timezone = timezone;
  if (!cron && !every_ms) probe.every_ms = kMinEveryMs;  // PATCH of the zone alone
  return engine::check_timing(probe);
}

}  // namespace

StatusOr<engine::ScheduleSpec> parse_schedule_create(std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  auto f = read_fields(doc.root(), doc.text());
  if (!f) return tl::unexpected(std::move(f.error()));
  if (!f->name) return invalid("name", "name is required: a unique name such as daily_digest");
  if (!f->cron && !f->every_ms) {
    return invalid("cron",
                   "give cron (an expression such as \"0 9 * * 1\" or @daily) or every_ms (an "
                   "interval of at least " +
                       std::to_string(kMinEveryMs) + " ms)");
  }
  if (!f->job) {
    return invalid("job",
                   "job is required: the job to enqueue on each fire, as for POST "
                   "/v1/jobs, e.g. {\"type\":\"daily_digest\",\"payload\":{}}");
  }
  engine::ScheduleSpec spec;
  spec.name = std::move(*f->name);
  spec.cron = std::move(f->cron);
  spec.every_ms = f->every_ms;
  if (f->timezone) spec.timezone = std::move(*f->timezone);
  if (Status s = check_fields_timing(spec.cron, spec.every_ms, spec.timezone); !s.ok()) {
    return tl::unexpected(std::move(s));
  }
  spec.job = std::move(*f->job);
  if (f->misfire) spec.misfire = *f->misfire;
  if (f->overlap) spec.overlap = *f->overlap;
  if (f->paused) spec.paused = *f->paused;
  return spec;
}

StatusOr<engine::SchedulePatch> parse_schedule_patch(std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  auto f = read_fields(doc.root(), doc.text());
  if (!f) return tl::unexpected(std::move(f.error()));
  if (f->cron || f->every_ms || f->timezone) {
    if (Status s = check_fields_timing(f->cron, f->every_ms, f->timezone.value_or("UTC"));
        !s.ok()) {
      return tl::unexpected(std::move(s));
    }
  }
  return std::move(*f);
}

}  // namespace spool::http
