// Status and StatusOr: how every module below the HTTP layer reports failure.
// Values only; no threading concerns. Engine and store never throw: they return a Status.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace spool {

// Choose a code by what the caller should do next:
//  kInvalidArgument   the input is wrong; fix the request, retrying it unchanged will not help.
//  kNotFound          the thing named does not exist (or no longer does).
//  kConflict          the request is valid but the job's current state forbids it; read the
//                     state, then decide.
//  kLeaseLost         the caller's lease is not the current one: its work no longer counts.
//  kTimedOut          the attempt ran past the job's timeout_ms and was failed as a timeout:
//                     stop working on it (like kLeaseLost, with the reason).
//  kTooLarge          the request is over a size limit; send less.
//  kRateLimited       too much right now; retry later.
//  kUnauthenticated   no valid credentials.
//  kPermissionDenied  valid credentials lacking the role.
//  kUnavailable       the store could not take the write (disk full, I/O error, shutting down);
//                     nothing was accepted, retrying later may succeed.
//  kInternal          a bug: an invariant broke. Report it.
enum class StatusCode {
  kOk,
  kInvalidArgument,
  kNotFound,
  kConflict,
  kLeaseLost,
  kTimedOut,
  kTooLarge,
  kRateLimited,
  kUnauthenticated,
  kPermissionDenied,
  kUnavailable,
  kInternal,
};

std::string_view to_string(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The request field the error is about ("max_attempts", "jobs[3].type"), empty if none.
  const std::string& field() const { return field_; }
  bool ok() const { return code_ == StatusCode::kOk; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

// GCC 12's std::expected is a draft and clang 14 has none: this alias is the one place to change
// when the toolchain moves. Named StatusOr (as abseil does), not Result: the installed client's
// spool::Result (include/spool/result.hpp) is a different type, and one file may use both.
template <typename T>
using StatusOr = tl::expected<T, Status>;

inline tl::unexpected<Status> error(StatusCode code, std::string message, std::string field = {}) {
  return tl::unexpected<Status>(Status(code, std::move(message), std::move(field)));
}
inline tl::unexpected<Status> invalid(std::string field, std::string message) {
  return error(StatusCode::kInvalidArgument, std::move(message), std::move(field));
}

}  // namespace spool

// Guards our own invariants, never input: a failed check is a bug, so it aborts with a message.
#define SPOOL_CHECK(cond)                                                  \
  do {                                                                     \
    if (!(cond)) ::spool::detail::check_failed(#cond, __FILE__, __LINE__); \
  } while (0)
#ifdef NDEBUG
#define SPOOL_DCHECK(cond) \
  do {                     \
  } while (0)
#else
#define SPOOL_DCHECK(cond) SPOOL_CHECK(cond)
#endif

namespace spool::detail {
[[noreturn]] void check_failed(const char* cond, const char* file, int line);
}
