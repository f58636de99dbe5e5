// How the worker's threads write their log: through WorkerOptions::log, or by default one line
// per event on stderr ("2026-11-25T02:34:49.123Z WARN spool worker: ...").
//
// Thread-safe: any of the worker's threads logs at any time. The default sink writes each line
// with a single write(2), so lines from different threads never interleave.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "spool/worker.hpp"

namespace spool::client {

using LogSink = std::function<void(LogLevel, std::string_view)>;

// Info and above to stderr with a UTC timestamp and the level; debug too when SPOOL_LOG_LEVEL is
// "debug".
LogSink default_log_sink();

// Calls the sink, keeping an exception thrown by a user's sink out of the worker's threads.
void write_log(const LogSink& sink, LogLevel level, std::string_view text) noexcept;

// "4.2 s", "120 ms": a duration for a person.
std::string describe_duration(std::chrono::steady_clock::duration d);

}  // namespace spool::client
