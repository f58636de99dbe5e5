// Decoding POST /v1/reserve, /v1/jobs/{id}/ack|fail|extend and /v1/settle (see requests.hpp).
#include <boost/json/value.hpp>

#include "http/json_input.hpp"
#include "http/raw_json.hpp"
#include "http/requests.hpp"

namespace spool::http {
namespace {

template <typename T>
tl::unexpected<Status> failed(T& reader) {
  return tl::unexpected(reader.take_status());
}

bool read_lease(FieldReader& r, std::string& out) {
  return r.req_string("lease", kMaxLeaseTokenBytes, out);
}

// error {message, kind: retry|permanent|snooze|release, retry_after_ms}
bool read_fail_error(FieldReader& r, engine::FailItem& item) {
  const boost::json::value* v = nullptr;
  if (!r.required("error", v)) return false;
  if (!v->is_object()) {
    return r.fail("error", r.field_name("error") +
                               " must be an object {message, kind, retry_after_ms}, got " +
                               std::string(describe_kind(*v)));
  }
  FieldReader e(v->get_object(), r.field_name("error") + ".");
  std::optional<std::string> message;
  if (const auto* m = e.find("message"); m && !m->is_string()) {
    return r.fail_with(
        Status(StatusCode::kInvalidArgument,
               e.field_name("message") + " must be a string, got " + std::string(describe_kind(*m)),
               e.field_name("message")));
  } else if (m) {
    std::string_view text = m->get_string();
    // A worker's stack trace can be long: keep the start rather than refuse the failure.
    item.message.assign(text.substr(0, kMaxErrorMessageBytes));
  }
  if (const auto* k = e.find("kind")) {
    std::optional<FailKind> kind;
    if (k->is_string()) kind = parse_fail_kind(k->get_string());
    if (!kind) {
      std::string got =
          k->is_string() ? quote_for_message(k->get_string()) : std::string(describe_kind(*k));
      return r.fail_with(
          Status(StatusCode::kInvalidArgument,
                 e.field_name("kind") + " must be retry, permanent, snooze or release, got " + got,
                 e.field_name("kind")));
    }
    item.kind = *kind;
  }
  if (!e.opt_int("retry_after_ms", 0, kMaxDelayMs, item.retry_after_ms) || !e.refuse_unknown()) {
    return r.fail_with(e.take_status());
  }
  return true;
}

}  // namespace

namespace {

// The fields of a reserve, from POST /v1/reserve's body or settle's "reserve" member (whose
// reader has the prefix "reserve.").
StatusOr<engine::ReserveRequest> read_reserve(FieldReader& r) {
  engine::ReserveRequest req;
  const boost::json::value* queues = nullptr;
  if (!r.required("queues", queues)) {
    std::string field = r.field_name("queues");
    return invalid(field, field + " is required: an array of 1 to " +
                              std::to_string(kMaxReserveQueues) + " queue names");
  }
  if (!queues->is_array() || queues->get_array().empty() ||
      queues->get_array().size() > kMaxReserveQueues) {
    std::string got = queues->is_array() ? std::to_string(queues->get_array().size()) + " names"
                                         : std::string(describe_kind(*queues));
    std::string field = r.field_name("queues");
    return invalid(field, field + " must be an array of 1 to " + std::to_string(kMaxReserveQueues) +
                              " queue names, got " + got);
  }
  const auto& list = queues->get_array();
  req.queues.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string name;
    Status s = check_name(list[i], r.field_name("queues") + "[" + std::to_string(i) + "]", name);
    if (!s.ok()) return tl::unexpected(std::move(s));
    req.queues.push_back(std::move(name));
  }
  std::optional<std::int64_t> max;
  if (!r.opt_int("max", 1, kMaxReserve, max)) return failed(r);
  if (max) req.max = static_cast<int>(*max);
  std::optional<std::int64_t> wait;
  if (!r.opt_int("wait_ms", 0, kMaxWaitMs, wait)) return failed(r);
  if (wait) req.wait_ms = *wait;
  if (!r.opt_int("lease_ms", kMinLeaseMs, kMaxLeaseMs, req.lease_ms)) return failed(r);
  std::optional<std::string> worker;
  if (!r.opt_name("worker", worker)) return failed(r);
  if (worker) req.worker = std::move(*worker);
  if (!r.refuse_unknown()) return failed(r);
  return req;
}

}  // namespace

StatusOr<engine::ReserveRequest> parse_reserve(std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root());
  return read_reserve(r);
}

StatusOr<engine::AckItem> parse_ack(std::string id, std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root(), {}, doc.text());
  engine::AckItem item;
  item.id = std::move(id);
  if (!read_lease(r, item.lease_token) || !r.opt_json("result", item.result_json) ||
      !r.refuse_unknown()) {
    return failed(r);
  }
  return item;
}

StatusOr<engine::FailItem> parse_fail(std::string id, std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root());
  engine::FailItem item;
  item.id = std::move(id);
  if (!read_lease(r, item.lease_token) || !read_fail_error(r, item) || !r.refuse_unknown()) {
    return failed(r);
  }
  return item;
}

StatusOr<engine::ExtendItem> parse_extend(std::string id, std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root(), {}, doc.text());
  engine::ExtendItem item;
  item.id = std::move(id);
  std::optional<std::int64_t> lease_ms;
  if (!read_lease(r, item.lease_token) ||
      !r.opt_int("lease_ms", kMinLeaseMs, kMaxLeaseMs, lease_ms) ||
      !r.opt_json("progress", item.progress_json) || !r.refuse_unknown()) {
    return failed(r);
  }
  item.lease_ms = lease_ms;
  return item;
}

StatusOr<SettleRequest> parse_settle(std::string_view body) {
  JsonDocument doc;
  if (Status s = doc.parse_object(body); !s.ok()) return tl::unexpected(std::move(s));
  FieldReader r(doc.root());
  const boost::json::array* acks = nullptr;
  const boost::json::array* fails = nullptr;
  const boost::json::object* reserve = nullptr;
  if (!r.opt_array("ack", acks) || !r.opt_array("fail", fails) ||
      !r.opt_object("reserve", reserve) || !r.refuse_unknown()) {
    return failed(r);
  }
  std::size_t total = (acks ? acks->size() : 0) + (fails ? fails->size() : 0);
  if (total > kMaxSettleItems) {
    return invalid(acks && acks->size() > 0 ? "ack" : "fail",
                   "settle takes at most " + std::to_string(kMaxSettleItems) +
                       " items in ack and fail together, got " + std::to_string(total));
  }
  SettleRequest out;
  if (reserve) {
    FieldReader rr(*reserve, "reserve.");
    auto next = read_reserve(rr);
    if (!next) return tl::unexpected(std::move(next.error()));
    out.reserve = std::move(*next);
  }
  auto item_object = [](const boost::json::value& v,
                        const std::string& name) -> StatusOr<const boost::json::object*> {
    if (!v.is_object()) {
      return invalid(name, name + " must be an object, got " + std::string(describe_kind(v)));
    }
    return &v.get_object();
  };
  auto read_id = [](FieldReader& ir, std::string& id) {
    return ir.req_string("id", kMaxIdBytes, id);
  };
  if (acks) {
    std::vector<std::string_view> raw_acks =
        raw_elements(raw_member(doc.text(), "ack").value_or(""));
    // Never fewer than the parsed items; if the scan disagrees, results are re-serialized.
    raw_acks.resize(acks->size());
    out.acks.reserve(acks->size());
    for (std::size_t i = 0; i < acks->size(); ++i) {
      std::string name = "ack[" + std::to_string(i) + "]";
      auto o = item_object((*acks)[i], name);
      if (!o) return tl::unexpected(std::move(o.error()));
      FieldReader ir(**o, name + ".", raw_acks[i]);
      engine::AckItem item;
      if (!read_id(ir, item.id) || !read_lease(ir, item.lease_token) ||
          !ir.opt_json("result", item.result_json) || !ir.refuse_unknown()) {
        return failed(ir);
      }
      out.acks.push_back(std::move(item));
    }
  }
  if (fails) {
    out.fails.reserve(fails->size());
    for (std::size_t i = 0; i < fails->size(); ++i) {
      std::string name = "fail[" + std::to_string(i) + "]";
      auto o = item_object((*fails)[i], name);
      if (!o) return tl::unexpected(std::move(o.error()));
      FieldReader ir(**o, name + ".");
      engine::FailItem item;
      if (!read_id(ir, item.id) || !read_lease(ir, item.lease_token) ||
          !read_fail_error(ir, item) || !ir.refuse_unknown()) {
        return failed(ir);
      }
      out.fails.push_back(std::move(item));
    }
  }
  return out;
}

}  // namespace spool::http
