// Server-Sent Events for GET /v1/events: the request's filters and resume point, and the bytes
// of each frame. The wire format is documented in docs/api.md ("Live events"); change a frame
// here => change it there and in docs/openapi.yaml, and keep old fields (clients rely on them).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"
#include "engine/job_events.hpp"
#include "http/event_bus.hpp"
#include "http/requests.hpp"

namespace spool::http {

// Which events a stream wants; unset fields match everything. Exact matches.
struct EventFilter {
  std::optional<std::string> queue;
  std::optional<std::string> type;
  std::optional<std::string> job;
  bool matches(const engine::JobEvent& event) const;
};

struct EventsRequest {
  EventFilter filter;
  std::optional<std::uint64_t> last_event_id;
};

// GET /v1/events?queue=Q&type=T&job=ID[&last_event_id=N]. The Last-Event-ID header (what a
// reconnecting EventSource sends) wins over the query parameter. Errors are kInvalidArgument
// naming the parameter.
StatusOr<EventsRequest> parse_events_request(const QueryParams& query,
                                             std::string_view last_event_id_header);

// What the client should wait before reconnecting, in the stream's first frame.
inline constexpr std::int64_t kSseRetryMs = 2000;
// The first bytes of every stream: the reconnect delay and a comment, so a client sees at once
// that it is subscribed.
std::string sse_preamble();
// A comment that keeps idle connections (and proxies) from timing out.
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

// "id: N\nevent: KIND\ndata: {...}\n\n" for one job event.
std::string encode_sse_event(const StoredEvent& event);
// "event: gap\ndata: {...}\n\n": events after `requested` up to `oldest` are no longer kept
// (`oldest` 0: none kept at all). Carries no id, so the client's own last id stays as it was.
std::string encode_sse_gap(std::uint64_t requested, std::uint64_t oldest);

}  // namespace spool::http
