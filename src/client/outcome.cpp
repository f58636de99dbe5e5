#include "client/outcome.hpp"

#include "client/codec.hpp"

namespace spool::client {

namespace {

Settlement failed(Failure::Kind kind, std::string message, std::optional<Millis> after) {
  Settlement s;
  s.failure = Failure{kind, std::move(message), after};
  return s;
}

// An empty message tells a person reading the dead-letter queue nothing.
std::string or_default(const char* what, const char* fallback) {
  return (what && *what) ? std::string(what) : std::string(fallback);
}

}  // namespace

Settlement settlement_of(const Outcome& outcome) {
  struct Visit {
    Settlement operator()(std::monostate) const { return Settlement{.ack = true}; }
    Settlement operator()(const boost::json::value& v) const {
      return Settlement{.ack = true, .result = v};
    }
    Settlement operator()(const Retry& r) const {
      return failed(Failure::Kind::kRetry, or_default(r.what(), "retry"), r.after);
    }
    Settlement operator()(const Permanent& p) const {
      return failed(Failure::Kind::kPermanent, or_default(p.what(), "permanent failure"),
                    std::nullopt);
    }
    Settlement operator()(const Snooze& s) const {
      return failed(Failure::Kind::kSnooze, or_default(s.what(), "snoozed"), s.after);
    }
  };
  return std::visit(Visit{}, outcome.get());
}

Settlement run_handler(const Worker::Handler& handler, Job& job) noexcept {
  // Catch order matters: Retry, Permanent and Snooze are std::runtime_errors too.
  try {
    return settlement_of(handler(job));
  } catch (const Retry& r) {
    return settlement_of(Outcome(r));
  } catch (const Permanent& p) {
    return settlement_of(Outcome(p));
  } catch (const Snooze& s) {
    return settlement_of(Outcome(s));
  } catch (const std::exception& e) {
    return failed(Failure::Kind::kRetry,
                  or_default(e.what(), "the handler threw an exception with an empty what()"),
                  std::nullopt);
  } catch (...) {
    return failed(Failure::Kind::kRetry,
                  "the handler threw something that is not a std::exception (throw "
                  "std::runtime_error or spool::Retry/Permanent/Snooze to say what went wrong)",
                  std::nullopt);
  }
}

std::string describe(const Settlement& settlement) {
  if (settlement.ack) return "ack";
  return std::string(failure_kind_name(settlement.failure.kind)) + ": " +
         settlement.failure.message;
}

}  // namespace spool::client
