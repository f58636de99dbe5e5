// The server's log: one line per event on stderr, either `key=value` text or one JSON object per
// line (`--log-format json`). Code logs in one vocabulary only, the text one:
//
//   spdlog::info("event=listening address={} auth={}", ...);
//   spdlog::error("event=handler_exception request_id={} what={}", id, log_quote(e.what()));
//
// and the JSON formatter turns each `key=value` into a member (`"event":"listening"`), so both
// formats carry the same fields. Values with spaces are written with log_quote() (core/log.hpp).
// Words that are not `key=value` end up in a "msg" member. Never log a token, an Authorization
// header, a payload or a result.
//
// Threading: install_server_logger() is called once by `spool serve` before any other thread
// starts; the formatters run under spdlog's own sink lock.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spdlog {
class formatter;
}

namespace spool::cli {

enum class LogFormat { kText, kJson };

// "text" | "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// Installs the default logger: stderr, UTC times, the given format and level (a name spdlog
// knows: trace, debug, info, warn, error, critical, off).
void install_server_logger(LogFormat format, const std::string& level);

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

// The JSON line for one message: {"ts":..., "level":..., "event":..., ...}. Unquoted values that
// are plain decimal numbers become JSON numbers, except under keys that name an id (`*id`), which
// stay strings whatever they look like. Exposed for tests.
std::string log_line_json(std::string_view ts, std::string_view level, std::string_view message);

}  // namespace spool::cli
