#include "http/json_input.hpp"

#include <algorithm>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

#include "core/names.hpp"
#include "http/raw_json.hpp"

namespace spool::http {
namespace {

std::string where(std::string_view body, std::size_t offset) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < body.size(); ++i) {
    if (body[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string range_text(std::int64_t lo, std::int64_t hi) {
  return "between " + std::to_string(lo) + " and " + std::to_string(hi);
}

}  // namespace

std::string quote_for_message(std::string_view text) {
  constexpr std::size_t kShown = 64;
  std::string out = "\"";
  for (char c : text.substr(0, kShown)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  if (text.size() > kShown) out += "...";
  out += '"';
  return out;
}

JsonDocument::JsonDocument() : arena_(arena_buffer_, sizeof arena_buffer_) {}

Status JsonDocument::parse_object(std::string_view body) {
  std::size_t start = 0;
  while (start < body.size() && is_space(body[start])) ++start;
  if (start == body.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "the request body is empty; expected a JSON object");
  }
  // The parser's scratch space sits on the stack: nesting deeper than it needs heap only then.
  unsigned char scratch[1024];
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::json::parser parser(boost::json::storage_ptr(&arena_), options, scratch, sizeof scratch);
  boost::system::error_code ec;
  std::size_t used = parser.write_some(body.data(), body.size(), ec);
  if (ec) {
    return Status(StatusCode::kInvalidArgument,
                  "malformed JSON at " + where(body, used) + ": " + ec.message());
  }
  for (std::size_t i = used; i < body.size(); ++i) {
    if (!is_space(body[i])) {
      return Status(StatusCode::kInvalidArgument,
                    "malformed JSON at " + where(body, i) + ": unexpected text after the value");
    }
  }
  value_ = parser.release();
  text_ = body;
  if (!value_.is_object()) {
    return Status(StatusCode::kInvalidArgument,
                  std::string("the request body must be a JSON object, got ") +
                      std::string(describe_kind(value_)));
  }
  return {};
}

std::string_view describe_kind(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string to_json_text(const boost::json::value& v) { return boost::json::serialize(v); }

Status check_int(const boost::json::value& v, std::string_view field, std::int64_t lo,
                 std::int64_t hi, std::int64_t& out) {
  std::string name(field);
  auto out_of_range = [&](const std::string& got) {
    return Status(StatusCode::kInvalidArgument,
                  name + " must be " + range_text(lo, hi) + ", got " + got, name);
  };
  switch (v.kind()) {
    case boost::json::kind::int64: {
      std::int64_t n = v.get_int64();
      if (n < lo || n > hi) return out_of_range(std::to_string(n));
      out = n;
      return {};
    }
    case boost::json::kind::uint64:
      return out_of_range(std::to_string(v.get_uint64()));
    case boost::json::kind::double_: {
      // 1e3 parses as a double; accept it when it is a whole number in range.
      double d = v.get_double();
      if (std::isfinite(d) && d == std::floor(d)) {
        if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
          return out_of_range(boost::json::serialize(v));
        }
        out = static_cast<std::int64_t>(d);
        return {};
      }
      return Status(StatusCode::kInvalidArgument,
                    name + " must be a whole number, got " + boost::json::serialize(v), name);
    }
    default:
      return Status(StatusCode::kInvalidArgument,
                    name + " must be an integer, got " + std::string(describe_kind(v)), name);
  }
}

Status check_name(const boost::json::value& v, std::string_view field, std::string& out) {
  std::string name(field);
  if (!v.is_string()) {
    return Status(StatusCode::kInvalidArgument,
                  name + " must be a string, got " + std::string(describe_kind(v)), name);
  }
  std::string_view s = v.get_string();
  if (!is_valid_name(s)) {
    return Status(StatusCode::kInvalidArgument,
                  name + " must be " + std::string(kNameRule) + ", got " + quote_for_message(s),
                  name);
  }
  out.assign(s.data(), s.size());
  return {};
}

const boost::json::value* FieldReader::find(std::string_view key) const {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  return object_.if_contains(key);
}

namespace {

// Edits (insert, delete, substitute, swap two neighbours) between a and b: "dealy" -> "delay"
// is 1. Field names are short, so the quadratic table is nothing.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

Status unknown_field(std::string_view key, std::span<const std::string_view> known,
                     std::string_view prefix, std::string_view what) {
  std::string name = std::string(prefix) + std::string(key);
  std::string message =
      quote_for_message(name) + " is not a " + std::string(what) + " of this request";
  // The nearest known name, if it is close enough to be what was meant: a third of its letters
  // wrong at most (at least one edit allowed, two from five letters up: "status" for state).
  std::string_view best;
  std::size_t best_distance = std::string_view::npos;
  for (std::string_view candidate : known) {
    // A missing unit suffix ("wait" for wait_ms) counts as one edit.
    bool prefix_of = key.size() >= 3 && candidate.size() > key.size() && candidate.starts_with(key);
    std::size_t distance = prefix_of ? 1 : edit_distance(key, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  std::size_t allowed = std::max<std::size_t>(best.size() >= 5 ? 2 : 1, best.size() / 3);
  if (!best.empty() && best_distance <= allowed) {
    message += "; did you mean " + std::string(prefix) + std::string(best) + "?";
  } else if (!known.empty()) {
    message += "; the " + std::string(what) + "s are:";
    for (std::size_t i = 0; i < known.size(); ++i) {
      message += (i == 0 ? " " : ", ");
      message += std::string(prefix) + std::string(known[i]);
    }
  }
  // The name is the client's: kept short in `field`, as in the message.
  return Status(StatusCode::kInvalidArgument, std::move(message), name.substr(0, 128));
}

bool FieldReader::refuse_unknown() {
  for (const auto& member : object_) {
    std::string_view key = member.key();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    return fail_with(unknown_field(key, known_, prefix_, "field"));
  }
  return true;
}

std::string FieldReader::field_name(std::string_view key) const {
  std::string out = prefix_;
  out += key;
  return out;
}

bool FieldReader::fail(std::string_view key, std::string message) {
  status_ = Status(StatusCode::kInvalidArgument, std::move(message), field_name(key));
  return false;
}

bool FieldReader::required(std::string_view key, const boost::json::value*& out) {
  out = find(key);
  if (!out) return fail(key, field_name(key) + " is required");
  return true;
}

bool FieldReader::opt_int(std::string_view key, std::int64_t lo, std::int64_t hi,
                          std::optional<std::int64_t>& out) {
  const auto* v = find(key);
  if (!v) return true;
  std::int64_t n = 0;
  Status s = check_int(*v, field_name(key), lo, hi, n);
  if (!s.ok()) {
    status_ = std::move(s);
    return false;
  }
  out = n;
  return true;
}

bool FieldReader::opt_bool(std::string_view key, std::optional<bool>& out) {
  const auto* v = find(key);
  if (!v) return true;
  if (!v->is_bool()) {
    return fail(key,
                field_name(key) + " must be true or false, got " + std::string(describe_kind(*v)));
  }
  out = v->get_bool();
  return true;
}

bool FieldReader::opt_string(std::string_view key, std::size_t max_len,
                             std::optional<std::string>& out) {
  const auto* v = find(key);
  if (!v) return true;
  if (!v->is_string()) {
    return fail(key, field_name(key) + " must be a string, got " + std::string(describe_kind(*v)));
  }
  std::string_view s = v->get_string();
  if (s.empty() || s.size() > max_len) {
    return fail(key, field_name(key) + " must be 1 to " + std::to_string(max_len) +
                         " bytes long, got " + std::to_string(s.size()));
  }
  out.emplace(s.data(), s.size());
  return true;
}

bool FieldReader::req_string(std::string_view key, std::size_t max_len, std::string& out) {
  std::optional<std::string> s;
  if (!find(key)) return fail(key, field_name(key) + " is required");
  if (!opt_string(key, max_len, s)) return false;
  out = std::move(*s);
  return true;
}

bool FieldReader::opt_name(std::string_view key, std::optional<std::string>& out) {
  const auto* v = find(key);
  if (!v) return true;
  std::string name;
  Status s = check_name(*v, field_name(key), name);
  if (!s.ok()) {
    status_ = std::move(s);
    return false;
  }
  out = std::move(name);
  return true;
}

bool FieldReader::req_name(std::string_view key, std::string& out) {
  const auto* v = find(key);
  if (!v) return fail(key, field_name(key) + " is required (" + std::string(kNameRule) + ")");
  Status s = check_name(*v, field_name(key), out);
  if (!s.ok()) {
    status_ = std::move(s);
    return false;
  }
  return true;
}

bool FieldReader::opt_json(std::string_view key, std::optional<std::string>& out) {
  const auto* v = find(key);
  if (!v) return true;
  if (!raw_.empty()) {
    if (auto text = raw_member(raw_, key)) {
      out = std::string(*text);
      return true;
    }
  }
  out = to_json_text(*v);
  return true;
}

bool FieldReader::opt_object(std::string_view key, const boost::json::object*& out) {
  out = nullptr;
  const auto* v = find(key);
  if (!v) return true;
  if (!v->is_object()) {
    return fail(key, field_name(key) + " must be an object, got " + std::string(describe_kind(*v)));
  }
  out = &v->get_object();
  return true;
}

bool FieldReader::opt_array(std::string_view key, const boost::json::array*& out) {
  out = nullptr;
  const auto* v = find(key);
  if (!v) return true;
  if (!v->is_array()) {
    return fail(key, field_name(key) + " must be an array, got " + std::string(describe_kind(*v)));
  }
  out = &v->get_array();
  return true;
}

}  // namespace spool::http
