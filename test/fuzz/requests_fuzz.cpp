// libFuzzer target: every request decoder of http/requests.hpp on arbitrary bytes. The first
// byte picks the decoder (enqueue, batch, reserve, ack, fail, extend, settle, queue patch,
// retry-dead, schedule create and patch, and the list-jobs and purge query parameters); the rest
// is the body, or for the queries "k=v&k=v" taken as already percent-decoded, so any byte
// reaches the decoder. Traps when an invariant breaks:
//   - a rejection is kInvalidArgument with a message, and its 400 body is valid JSON (the
//     message quotes the client's bytes: they must not break the answer);
//   - what is accepted is within API.md's limits, and every JSON text kept (payload, result)
//     is valid JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/errors.hpp"
#include "http/requests.hpp"

namespace {

using namespace spool;
using namespace spool::http;
using spool::fuzz::is_valid_json;

template <typename T>
bool accepted(const StatusOr<T>& r) {
  if (r) return true;
  const Status& s = r.error();
  FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, "a decoder failed with another code");
  FUZZ_CHECK(!s.message().empty(), "a rejection without a message");
  FUZZ_CHECK(is_valid_json(error_body(s)), "the 400 body is not valid JSON");
  return false;
}

void check_enqueue(const engine::EnqueueRequest& e) {
  FUZZ_CHECK(!e.type.empty(), "an accepted job without a type");
  FUZZ_CHECK(is_valid_json(e.payload_json), "a kept payload is not valid JSON");
  FUZZ_CHECK(
      !e.max_attempts || (*e.max_attempts >= kMinAttempts && *e.max_attempts <= kMaxAttempts),
      "max_attempts out of range");
  FUZZ_CHECK(!e.delay_ms || (*e.delay_ms >= 0 && *e.delay_ms <= kMaxDelayMs),
             "delay_ms out of range");
  FUZZ_CHECK(!(e.delay_ms && e.run_at), "both delay_ms and run_at");
  FUZZ_CHECK(e.tags.size() <= kMaxTags, "too many tags");
  FUZZ_CHECK(
      !e.dedupe_key || (!e.dedupe_key->empty() && e.dedupe_key->size() <= kMaxDedupeKeyBytes),
      "dedupe_key length out of range");
}

void check_reserve(const engine::ReserveRequest& r) {
  FUZZ_CHECK(!r.queues.empty() && r.queues.size() <= kMaxReserveQueues, "reserve queue count");
  FUZZ_CHECK(r.max >= 1 && r.max <= kMaxReserve, "reserve max out of range");
  FUZZ_CHECK(r.wait_ms >= 0 && r.wait_ms <= kMaxWaitMs, "wait_ms out of range");
}

void check_ack(const engine::AckItem& a) {
  FUZZ_CHECK(!a.result_json || is_valid_json(*a.result_json), "a kept result is not valid JSON");
}

// "k=v&k2=v2&k" as query parameters, no decoding.
QueryParams split_query(std::string_view text) {
  QueryParams q;
  while (!text.empty() && q.size() < 64) {
    std::string_view part = text.substr(0, text.find('&'));
    text.remove_prefix(part.size() < text.size() ? part.size() + 1 : text.size());
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      q.emplace_back(std::string(part), std::string());
    } else {
      q.emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
    }
  }
  return q;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 13) {
    case 0:
      if (auto r = parse_enqueue(body); accepted(r)) check_enqueue(*r);
      break;
    case 1:
      if (auto r = parse_enqueue_batch(body); accepted(r)) {
        FUZZ_CHECK(!r->empty() && r->size() <= kMaxBatchJobs, "batch size out of range");
        for (const auto& e : *r) check_enqueue(e);
      }
      break;
    case 2:
      if (auto r = parse_reserve(body); accepted(r)) check_reserve(*r);
      break;
    case 3:
      if (auto r = parse_ack("job-1", body); accepted(r)) check_ack(*r);
      break;
    case 4:
      if (auto r = parse_fail("job-1", body); accepted(r)) {
        FUZZ_CHECK(r->message.size() <= kMaxErrorMessageBytes, "error message too long");
      }
      break;
    case 5:
      (void)accepted(parse_extend("job-1", body));
      break;
    case 6:
      if (auto r = parse_settle(body); accepted(r)) {
        FUZZ_CHECK(r->acks.size() + r->fails.size() <= kMaxSettleItems, "too many settle items");
        for (const auto& a : r->acks) check_ack(a);
        if (r->reserve) check_reserve(*r->reserve);
      }
      break;
    case 7:
      (void)accepted(parse_queue_patch(body));
      break;
    case 8:
      (void)accepted(parse_retry_dead(body));
      break;
    case 9:
      if (auto r = parse_schedule_create(body); accepted(r)) {
        FUZZ_CHECK(is_valid_json(r->job.payload_json), "a schedule's payload is not valid JSON");
        FUZZ_CHECK(r->cron.has_value() != r->every_ms.has_value(), "not exactly one timing");
      }
      break;
    case 10:
      (void)accepted(parse_schedule_patch(body));
      break;
    case 11:
      if (auto r = parse_list_jobs(split_query(body)); accepted(r)) {
        FUZZ_CHECK(r->limit >= 1 && r->limit <= kMaxListLimit, "list limit out of range");
      }
      break;
    case 12:
      (void)accepted(parse_purge(split_query(body)));
      break;
  }
  return 0;
}
