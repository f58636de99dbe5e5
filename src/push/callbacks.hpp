// Completion callbacks (docs/push.md "Completion callbacks"): when a job with a callback_url
// completes or dies, Spool POSTs the final job view (the JSON of GET /v1/jobs/{id}) there,
// signed per Standard Webhooks with the server's [callbacks] secret.
//
// Durability: the store arms a job's callback in the same transaction that finishes the job
// (store.hpp), so a crash cannot lose it. The dispatcher takes due callbacks through the engine
// (each held for timeout_ms + kCallbackHoldMarginMs: a crash mid-attempt makes it due again
// then), POSTs, and records the outcome: delivered (2xx); retried with exponential backoff
// (408, 425, 429, 5xx, transport errors; Retry-After honoured) until max_attempts; failed
// (any other answer, attempts spent, or refused by the SSRF guard), the reason kept on the job
// as callback.last_error. At least once: a receiver deduplicates on webhook-id.
//
// SSRF: the URL must still match the allow list (core/callback_url.hpp); its host is resolved
// once per attempt, every address checked (push/address_guard.hpp) unless the allow list names
// the host, and the connection goes to those addresses only (DeliveryClient::post_to).
//
// Ownership and threading: borrows the Engine (which must outlive it) and owns one io thread
// holding all of its state and its connection pool. Engine callbacks only post to that thread.
// observer() is an engine observer that wakes the dispatcher when a job with a callback completes
// or dies (an event with callback_armed); register it before engine.start(). Shutdown order
// (serve.cpp): stop() before engine.stop().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/callback_url.hpp"
#include "core/clock.hpp"
#include "engine/job_events.hpp"

namespace spool::engine {
class Engine;
}

namespace spool::push {

inline constexpr std::int64_t kCallbackHoldMarginMs = 5'000;

struct CallbackOptions {
  CallbackAllowlist allow;  // empty: every pending callback fails ("callbacks are off")
  std::string key;          // the signing key bytes (decode_secret of [callbacks] secret)
  int max_attempts = 10;
  std::int64_t backoff_base_ms = 10'000;  // delay after attempt n: base * 2^(n-1), at most max
  std::int64_t backoff_max_ms = 900'000;
  std::int64_t timeout_ms = 10'000;  // one attempt, connect to last byte
  std::int64_t poll_ms = 1'000;      // how often due callbacks (retries) are looked for
  int concurrency = 16;              // attempts in flight at most
  std::string ca_file;               // empty: the system CA store
  std::string user_agent = "spool";
};

// The delay before the attempt after `attempt` (1-based): base * 2^(attempt-1), at most max.
std::int64_t callback_retry_delay_ms(const CallbackOptions& options, int attempt);

class CallbackDispatcher {
 public:
  CallbackDispatcher(engine::Engine& engine, const Clock& clock, CallbackOptions options);
  ~CallbackDispatcher();
  CallbackDispatcher(const CallbackDispatcher&) = delete;
  CallbackDispatcher& operator=(const CallbackDispatcher&) = delete;

  std::shared_ptr<engine::JobObserver> observer();
  void start();
  // Cuts attempts in flight off (they go again after their hold) and joins the io thread.
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace spool::push
