// The CLI's side of GET /v1/events (Server-Sent Events): a parser for the text/event-stream
// format, and a blocking connection that yields events as they arrive. Used by
// `spool jobs watch` and `spool job ID --follow` (client_commands.cpp), which reconnect with
// Last-Event-ID when a stream ends.
//
// Ownership: an EventStream owns its io_context and socket. Threading: one thread at a time
// (the CLI is single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http_connection.hpp"

namespace spool::cli {

// "/v1/events?queue=Q&type=T&job=ID" with the values given, percent-encoded.
std::string events_target(const std::string& queue, const std::string& type,
                          const std::string& job);

struct SseEvent {
  std::string id;     // empty when the frame had no id: line
  std::string event;  // "message" when the frame had no event: line
  std::string data;   // data: lines joined with '\n'
};

// The event-stream format as the HTML standard defines it: lines end in \n, \r\n or \r; a blank
// line dispatches the event; lines starting with ':' are comments; "field: value" with one
// optional space after the colon; only id, event, data and retry mean anything. A frame with no
// data: line dispatches nothing.
class SseParser {
 public:
  // Appends every event completed by `bytes` to `out`.
  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  // The last id: line seen in a dispatched event (what to send as Last-Event-ID).
  const std::string& last_event_id() const { return last_id_; }
  // The last retry: value, if any.
  std::optional<std::int64_t> retry_ms() const { return retry_ms_; }

 private:
  void line(std::string_view text, std::vector<SseEvent>& out);

  std::string partial_;   // an incomplete line from the previous feed
  bool skip_lf_ = false;  // the previous feed ended in \r: a leading \n belongs to it
  SseEvent current_;
  bool has_data_ = false;
  std::string pending_id_;
  bool pending_id_set_ = false;
  std::string last_id_;
  std::optional<std::int64_t> retry_ms_;
};

class EventStream {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{5'000};
    // No bytes at all (not even a keep-alive comment) for this long: the stream is dead.
    std::chrono::milliseconds idle_timeout{60'000};
    std::string token;
  };

  EventStream(transport::Endpoint endpoint, Options options);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  enum class Opened { kStreaming, kRefused, kFailed };
  // Connects and asks for `target` (path and query under the endpoint). kStreaming: events
  // follow. kRefused: the server answered something else (`refused` has the status and body).
  // kFailed: no answer (`error`).
  Opened open(std::string_view target, const std::string& last_event_id,
              transport::HttpResponse* refused, transport::TransportError* error);

  // Blocks until at least one event arrived (appended to `out`), then true. False when the
  // stream ended: the server closed it (error->kind kBroken, "closed") or went quiet past
  // idle_timeout (kTimeout).
  bool next(std::vector<SseEvent>& out, transport::TransportError* error);

  const SseParser& parser() const { return parser_; }

 private:
  struct Impl;
  transport::Endpoint endpoint_;
  Options options_;
  std::unique_ptr<Impl> impl_;
  SseParser parser_;
};

}  // namespace spool::cli
