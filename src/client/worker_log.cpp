#include "client/worker_log.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "client/codec.hpp"

namespace spool {
inline namespace v1 {

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace v1
}  // namespace spool

namespace spool::client {

LogSink default_log_sink() {
  const char* env = std::getenv("SPOOL_LOG_LEVEL");
  bool debug = env && std::strcmp(env, "debug") == 0;
  return [debug](LogLevel level, std::string_view text) {
    if (level == LogLevel::kDebug && !debug) return;
    auto now = std::chrono::floor<Millis>(std::chrono::system_clock::now());
    std::string line = format_rfc3339(now);
    line += ' ';
    line += log_level_name(level);
    line += " spool worker: ";
    line += text;
    line += '\n';
    // One write per line: lines of different threads never interleave. A short write to stderr
    // is not worth a retry loop.
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  };
}

void write_log(const LogSink& sink, LogLevel level, std::string_view text) noexcept {
  if (!sink) return;
  try {
    sink(level, text);
  } catch (...) {
    // A log sink that throws must not take a handler thread or the settler down with it.
  }
}

std::string describe_duration(std::chrono::steady_clock::duration d) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(d).count();
  char text[32];
  if (ms < 1000) {
    std::snprintf(text, sizeof text, "%lld ms", static_cast<long long>(ms));
  } else {
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
  }
  return text;
}

}  // namespace spool::client
