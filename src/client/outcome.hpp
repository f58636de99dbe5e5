// What a handler's return or exception means for its job: the mapping of spool::Outcome,
// spool::Retry, spool::Permanent, spool::Snooze and other exceptions onto ack and fail kinds
// (worker.hpp "Outcomes"). Pure functions; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "spool/worker.hpp"

namespace spool::client {

struct Settlement {
  bool ack = false;
  std::optional<boost::json::value> result;  // ack: the handler's result, if it gave one
  Failure failure;                           // !ack: how the job is handed back
};

Settlement settlement_of(const Outcome& outcome);

// Runs the handler and maps whatever it returns or throws. Never throws.
Settlement run_handler(const Worker::Handler& handler, Job& job) noexcept;

// A one-line description for logs: "ack", "retry: timeout talking to SMTP", ...
std::string describe(const Settlement& settlement);

}  // namespace spool::client
