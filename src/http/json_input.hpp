// Reading request bodies: parse a JSON object (errors say where), then read typed, range-checked
// fields from it with messages that name the field and what is allowed.
//
// Ownership and threading: a JsonDocument owns the parsed value and its memory (a monotonic
// arena seeded from an inline buffer, so a small body costs no heap allocation). It lives on one
// handler's stack for one request; not shared across threads. A FieldReader borrows an object
// from a document and remembers the first error it met.
#pragma once

#include <boost/container/small_vector.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace spool::http {

class JsonDocument {
 public:
  JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // Parses `body`, which must hold exactly one JSON object. Errors are kInvalidArgument naming
  // the line and column of the problem.
  Status parse_object(std::string_view body);
  const boost::json::object& root() const { return value_.get_object(); }
  // The body as given to parse_object (borrowed: it must outlive the document's use), where
  // raw_json.hpp finds values' exact bytes.
  std::string_view text() const { return text_; }

 private:
  alignas(16) unsigned char arena_buffer_[8192];
  boost::json::monotonic_resource arena_;
  boost::json::value value_;
  std::string_view text_;
};

// "a string", "an array", ... for messages.
std::string_view describe_kind(const boost::json::value& v);
// Serializes a JSON value compactly (payloads, results: stored as JSON text).
std::string to_json_text(const boost::json::value& v);

// Reads fields of one object. Each getter answers false after recording an error (read it with
// status()); absent optional fields leave `out` untouched and answer true. `prefix` is prepended
// to field names in errors ("jobs[3]." -> "jobs[3].type").
class FieldReader {
 public:
  // `raw` is the object's own text in the body, when the caller has it: opt_json() then answers
  // a value's bytes as the client wrote them (raw_json.hpp) instead of re-serializing it.
  FieldReader(const boost::json::object& object, std::string prefix = {}, std::string_view raw = {})
      : object_(object), prefix_(std::move(prefix)), raw_(raw) {}

  // Every getter looks its key up through find(), which also notes the key as known, so
  // refuse_unknown() can tell a typo from a field. REQUIRES: `key` outlives the reader (the
  // decoders pass string literals).
  const boost::json::value* find(std::string_view key) const;

  // Call after reading every field: fails on the first member of the object that no getter asked
  // for, naming it and suggesting the nearest known field ("did you mean delay_ms?"), or listing
  // the known ones. A typo must not be silently dropped: "dealy_ms" would run the job at once.
  bool refuse_unknown();
  // Fields that are valid here but checked elsewhere (push's headers, by push/push_config.cpp).
  void also_known(std::initializer_list<std::string_view> keys) {
    for (std::string_view key : keys) find(key);
  }

  bool required(std::string_view key, const boost::json::value*& out);
  bool opt_int(std::string_view key, std::int64_t lo, std::int64_t hi,
               std::optional<std::int64_t>& out);
  bool opt_bool(std::string_view key, std::optional<bool>& out);
  // Strings: `max_len` bytes at most, at least one byte.
  bool opt_string(std::string_view key, std::size_t max_len, std::optional<std::string>& out);
  bool req_string(std::string_view key, std::size_t max_len, std::string& out);
  // Names: [A-Za-z0-9_.:-]{1,128}.
  bool opt_name(std::string_view key, std::optional<std::string>& out);
  bool req_name(std::string_view key, std::string& out);
  // Any JSON value, as its text in the body (re-serialized when the reader has no raw text);
  // JSON null counts as given ("null").
  bool opt_json(std::string_view key, std::optional<std::string>& out);
  bool opt_object(std::string_view key, const boost::json::object*& out);
  bool opt_array(std::string_view key, const boost::json::array*& out);

  // Records an error about `key` (the prefix is added).
  bool fail(std::string_view key, std::string message);
  // Records an error already built with its full field name.
  bool fail_with(Status status) {
    status_ = std::move(status);
    return false;
  }
  std::string field_name(std::string_view key) const;
  const Status& status() const { return status_; }
  Status take_status() { return std::move(status_); }

 private:
  const boost::json::object& object_;
  std::string prefix_;
  std::string_view raw_;
  Status status_;
  // Keys asked for, in the order asked; inline, so reading a request allocates nothing for it.
  mutable boost::container::small_vector<std::string_view, 24> known_;
};

// Checks one value (not a field of an object) against the same rules; `field` names it.
Status check_int(const boost::json::value& v, std::string_view field, std::int64_t lo,
                 std::int64_t hi, std::int64_t& out);
Status check_name(const boost::json::value& v, std::string_view field, std::string& out);

// The 400 for a request member that is not one of `known`: names it (with `prefix`, "jobs[1].")
// and suggests the nearest known name ("did you mean delay_ms?"), or lists them all. `what` is
// "field" for bodies, "query parameter" for queries.
Status unknown_field(std::string_view key, std::span<const std::string_view> known,
                     std::string_view prefix, std::string_view what);

// Shows a value the client sent, shortened and quoted, for an error message.
std::string quote_for_message(std::string_view text);

}  // namespace spool::http
