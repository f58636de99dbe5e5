#include "cli/log_format.hpp"

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "core/json_writer.hpp"

namespace spool::cli {
namespace {

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// A plain decimal number that JSON reads back as the same number: no leading zeros, no
// exponent, at most 18 digits before the point (so it fits an int64 when it has none).
bool is_plain_number(std::string_view v) {
  std::size_t i = 0;
  if (i < v.size() && v[i] == '-') ++i;
  std::size_t digits = 0;
  std::size_t first = i;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++digits;
  if (digits == 0 || digits > 18 || (digits > 1 && v[first] == '0')) return false;
  if (i < v.size() && v[i] == '.') {
    ++i;
    std::size_t frac = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++frac;
    if (frac == 0) return false;
  }
  return i == v.size();
}

bool names_an_id(std::string_view key) {
  return key.size() >= 2 && key.substr(key.size() - 2) == "id";
}

// Reads a value written by log_quote() starting at the opening quote; `at` ends past the closing
// quote. Lenient: an unterminated value takes the rest of the line.
std::string read_quoted(std::string_view msg, std::size_t& at) {
  std::string out;
  std::size_t i = at + 1;
  while (i < msg.size()) {
    char c = msg[i];
    if (c == '"') {
      ++i;
      break;
    }
    if (c == '\\' && i + 1 < msg.size()) {
      char e = msg[i + 1];
      i += 2;
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u':
          if (i + 4 <= msg.size()) {
            out.push_back(
                static_cast<char>(std::strtol(std::string(msg.substr(i, 4)).c_str(), nullptr, 16)));
            i += 4;
          }
          break;
        default:
          out.push_back(e);  // \" and \\ (and anything else, as itself)
      }
      continue;
    }
    out.push_back(c);
    ++i;
  }
  at = i;
  return out;
}

std::string utc_time(spdlog::log_clock::time_point tp) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // far more than 24: GCC sizes the fields by int's full range
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line =
        log_line_json(utc_time(msg.time), std::string_view(level.data(), level.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()));
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

std::string log_line_json(std::string_view ts, std::string_view level, std::string_view message) {
  JsonWriter w;
  w.begin_object().field("ts", ts).field("level", level);
  std::string loose;  // words that are not key=value, in order
  std::size_t i = 0;
  while (i < message.size()) {
    while (i < message.size() && message[i] == ' ') ++i;
    if (i >= message.size()) break;
    std::size_t k = i;
    while (k < message.size() && is_key_char(message[k])) ++k;
    if (k > i && k < message.size() && message[k] == '=') {
      std::string_view key = message.substr(i, k - i);
      std::size_t v = k + 1;
      // "ts" and "level" belong to the line itself; a message's own keep a prefix.
      std::string name = key == "ts" || key == "level" || key == "msg" ? "field_" + std::string(key)
                                                                       : std::string(key);
      if (v < message.size() && message[v] == '"') {
        w.field(name, read_quoted(message, v));
        i = v;
        continue;
      }
      std::size_t end = message.find(' ', v);
      if (end == std::string_view::npos) end = message.size();
      std::string_view value = message.substr(v, end - v);
      w.key(name);
      if (is_plain_number(value) && !names_an_id(key)) {
        w.raw(value);
      } else {
        w.value(value);
      }
      i = end;
      continue;
    }
    std::size_t end = message.find(' ', i);
    if (end == std::string_view::npos) end = message.size();
    if (!loose.empty()) loose.push_back(' ');
    loose.append(message.substr(i, end - i));
    i = end;
  }
  if (!loose.empty()) w.field("msg", loose);
  w.end_object();
  return w.take();
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonLogFormatter>();
  // One line per event, key=value after the level; times in UTC like the API's.
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v",
                                                     spdlog::pattern_time_type::utc);
}

void install_server_logger(LogFormat format, const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("spool");
  logger->set_formatter(make_log_formatter(format));
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace spool::cli
