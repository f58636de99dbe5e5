// libFuzzer target: the HTTP request path, bytes in to answers out, in one process with no
// socket. The bytes go through a Beast request parser with the session's limits (as a
// connection's read buffer would feed it, pipelined requests one after another), each complete
// request through dispatch_request (http/dispatch.hpp: the session's own routing, auth and
// handler call) into the real handlers, a real engine and a SQLite store in a temp dir
// (fuzz_engine.hpp; a fresh database per input, the manual clock, no threads). What this leaves
// out is only the socket I/O of session.cpp (timeouts, 100-continue, the drain after a refusal).
//
// Tokens: "admin-token", "producer-token", "worker-token", "reader-token" (Bearer). Callbacks
// are allowed to https://hooks.example.com/. Traps when an invariant breaks:
//   - every request the parser completes is answered, long polls once their wait has passed;
//   - at most once; with a status from 200 to 599;
//   - every JSON answer (the refusals included, which quote the client's bytes) is valid JSON;
//   - 401s carry WWW-Authenticate, 405s carry Allow.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "fuzz_engine.hpp"
#include "http/dispatch.hpp"
#include "http/errors.hpp"
#include "http/handlers/handlers.hpp"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace spool;
using namespace spool::http;

// The session's limits (session.cpp), with a smaller body limit than the default 1 MiB so a run
// spends its time on shapes, not sizes.
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr int kMaxRequests = 8;

class Recorder final : public Exchange {
 public:
  bool respond(Response r) override {
    if (answered) return false;
    answered = true;
    response = std::move(r);
    // As the session does once a parked request is answered: the watcher (which holds this
    // exchange) is dropped.
    auto gone = std::move(watching);
    watching = nullptr;
    return true;
  }
  bool respond_with(std::function<Response()> make) override {
    if (answered) return false;
    return respond(make());
  }
  void watch_disconnect(std::function<void()> on_gone) override { watching = std::move(on_gone); }
  bool respond_stream(StreamResponse r) override {
    r.source->stop();
    if (answered) return false;
    answered = true;
    response.status = r.status;
    response.content_type = r.content_type;
    streamed = true;
    return true;
  }
  bool answered = false;
  bool streamed = false;
  Response response;
  std::function<void()> watching;
};

std::string_view header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

void check_answer(const Response& r, bool streamed) {
  if (std::getenv("FUZZ_VERBOSE")) {
    std::fprintf(stderr, "answer %d %.*s\n", r.status, static_cast<int>(r.body.size()),
                 r.body.data());
  }
  FUZZ_CHECK(r.status >= 200 && r.status <= 599, "a status out of range");
  if (!streamed && r.content_type == "application/json") {
    FUZZ_CHECK(spool::fuzz::is_valid_json(r.body), "a JSON answer that is not valid JSON");
  }
  if (r.status == 401)
    FUZZ_CHECK(!header(r, "WWW-Authenticate").empty(), "a 401 without a challenge");
  if (r.status == 405) FUZZ_CHECK(!header(r, "Allow").empty(), "a 405 without Allow");
}

struct Harness {
  spool::fuzz::FuzzEngine fuzz_engine;
  Router router{api_routes()};
  Authenticator auth{std::vector<TokenSpec>{
      {"admin-token", role_bit(Role::kAdmin)},
      {"producer-token", role_bit(Role::kProducer)},
      {"worker-token", role_bit(Role::kWorker)},
      {"reader-token", role_bit(Role::kReader)},
  }};
  CallbackAllowlist callbacks;
  std::optional<Context> context;
  Harness() {
    auto allow = CallbackAllowlist::parse({"https://hooks.example.com/"});
    FUZZ_CHECK(allow.has_value(), "the allow list does not parse");
    callbacks = std::move(*allow);
  }
  // Each input starts from an empty database.
  Context& fresh_context() {
    context.reset();
    fuzz_engine.reopen();
    context.emplace(Context{fuzz_engine.engine()});
    context->callbacks = callbacks;
    return *context;
  }
};

}  // namespace

// A smaller quarantine than ASan's 256 MiB: each input opens a database and frees it, and fresh
// pages for every allocation cost more than the rest of the run (use-after-free is still caught
// within the last 16 MiB freed).
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness harness;  // destroyed at exit, which removes its temp dir
  Harness* h = &harness;
  Context& context = h->fresh_context();

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < kMaxRequests && !rest.empty(); ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    parser.eager(true);
    beast::error_code ec;
    while (!parser.is_done()) {
      const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) break;
      if (used == 0) {
        parser.put_eof(ec);  // nothing more will come: the client closed its side
        break;
      }
    }
    if (ec || !parser.is_done()) {
      // The session answers 400, 413 or 431 with this message and closes.
      FUZZ_CHECK(spool::fuzz::is_valid_json(
                     error_body("invalid_request", "malformed HTTP request: " + ec.message())),
                 "a framing refusal that is not valid JSON");
      return 0;
    }
    auto& req = parser.get();
    const std::string_view target = req.target();
    const std::string path(target.substr(0, target.find('?')));
    RequestHead head;
    head.method = parse_method(req.method_string());
    head.target = target;
    head.path = path;
    head.authorization = req[bhttp::field::authorization];
    head.body = req.body();
    head.request_id = "fuzz-1";
    head.last_event_id = req["Last-Event-ID"];
    QueryParams query;
    auto recorder = std::make_shared<Recorder>();
    Dispatch d =
        dispatch_request(h->router, h->auth, context, head, query, [&] { return recorder; });
    if (d.refusal) {
      FUZZ_CHECK(!recorder->answered, "a refusal after the handler answered");
      check_answer(*d.refusal, false);
    } else {
      for (int i = 0; i < 3 && !recorder->answered; ++i) h->fuzz_engine.engine().run_once();
      if (!recorder->answered) {
        // A long poll: its wait (60 s at most) passes.
        h->fuzz_engine.clock().advance_ms(61'000);
        for (int i = 0; i < 3 && !recorder->answered; ++i) h->fuzz_engine.engine().run_once();
      }
      FUZZ_CHECK(recorder->answered, "a request left unanswered");
      check_answer(recorder->response, recorder->streamed);
      if (recorder->response.on_written) recorder->response.on_written(true);
      h->fuzz_engine.engine().run_once();
    }
    if (!req.keep_alive()) break;
  }
  return 0;
}
