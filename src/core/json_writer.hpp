// JsonWriter: appends JSON to a string by hand, so stored JSON text (payloads, results) is
// spliced in as-is instead of being parsed and re-encoded on every read. Not thread-safe; one
// writer per response. The caller is responsible for well-formed nesting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spool {

class JsonWriter {
 public:
  std::string& str() { return out_; }
  std::string take() { return std::move(out_); }

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(double d);
  JsonWriter& value(bool b);
  JsonWriter& null();
  // Splices already-valid JSON text.
  JsonWriter& raw(std::string_view json);
  // An RFC 3339 timestamp, or null.
  JsonWriter& time(std::optional<std::int64_t> t);

  // key + value shorthands
  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  void comma();
  std::string out_;
  bool need_comma_ = false;
};

void append_json_string(std::string& out, std::string_view s);

}  // namespace spool
