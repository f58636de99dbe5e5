// Polling with a deadline for black-box tests, whose servers and receivers run in other
// processes or threads: no test waits without a bound.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace spool::testing {

// Waits until pred() holds or `limit` passes, checking every 20 ms; answers whether it held.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace spool::testing
