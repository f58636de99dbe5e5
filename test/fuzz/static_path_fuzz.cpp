// libFuzzer target: the dashboard's static path resolution. The input is a request target
// ("/assets/index-3f2a.js?x"), taken the way a session takes it: parse_target (percent-decoding,
// dot segments kept as sent), the route table's match for GET, then the dashboard handlers with
// the embedded files (static_files.hpp), on a real (idle) engine. Traps when an invariant breaks:
//   - a 200 serves exactly one embedded file, found by its own path: index.html at "/", and
//     under /assets/ only a file whose table path is "/assets/" + the one decoded segment (so no
//     "..", "%2e%2e" or "%2f" reaches another file or anything outside the table);
//   - every answer has a content type and a body; a 404's body is valid JSON;
//   - an asset is cached for a year only under /assets/.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "fuzz_engine.hpp"
#include "http/handlers/handlers.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"

namespace {

using namespace spool::http;

class Recorder final : public Exchange {
 public:
  bool respond(Response r) override {
    FUZZ_CHECK(!answered, "answered twice");
    answered = true;
    response = std::move(r);
    return true;
  }
  bool respond_with(std::function<Response()> make) override { return respond(make()); }
  void watch_disconnect(std::function<void()>) override {}
  bool respond_stream(StreamResponse r) override {
    r.source->stop();
    FUZZ_CHECK(false, "a dashboard route answered with a stream");
    return false;
  }
  bool answered = false;
  Response response;
};

std::string_view header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Router router(api_routes());
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_target(target);
  if (!parsed) return 0;
  const auto match = router.match(Method::kGet, parsed->segments);
  if (!match.route) return 0;
  const bool index = match.route->handler == &handlers::dashboard_index;
  const bool asset = match.route->handler == &handlers::dashboard_asset;
  if (!index && !asset) return 0;
  FUZZ_CHECK(match.route->access.is_public, "the dashboard's files need a token");

  // These handlers never call the engine, but a Context holds one.
  static spool::fuzz::FuzzEngine engine;
  static Context ctx{engine.engine()};
  Request req;
  req.method = Method::kGet;
  req.path = target.substr(0, target.find('?'));
  req.params = match.params;
  req.query = &parsed->query;
  auto recorder = std::make_shared<Recorder>();
  match.route->handler(ctx, req, recorder);
  FUZZ_CHECK(recorder->answered, "no answer");
  const Response& r = recorder->response;
  FUZZ_CHECK(!r.content_type.empty(), "no content type");
  if (r.status != 200) {
    FUZZ_CHECK(r.status == 404, "a dashboard path answered neither 200 nor 404");
    FUZZ_CHECK(spool::fuzz::is_valid_json(r.body), "the 404 body is not valid JSON");
    return 0;
  }
  const std::string want = index ? "/index.html" : "/assets/" + match.params.at(0);
  const StaticFile* file = find_static_file(want);
  FUZZ_CHECK(file != nullptr, "a 200 for a path the table does not hold");
  FUZZ_CHECK(file->path == want, "a file served under another path");
  FUZZ_CHECK(r.body.size() == file->size &&
                 std::string_view(r.body) ==
                     std::string_view(reinterpret_cast<const char*>(file->data), file->size),
             "the body is not the file's bytes");
  if (asset) {
    FUZZ_CHECK(match.params.size() == 1 && !match.params[0].empty(), "an asset without a name");
    FUZZ_CHECK(file->path.substr(0, 8) == "/assets/", "an asset outside /assets/");
  }
  const bool immutable = header(r, "Cache-Control").find("immutable") != std::string_view::npos;
  FUZZ_CHECK(immutable == asset, "caching that does not follow the path");
  FUZZ_CHECK(header(r, "X-Content-Type-Options") == "nosniff", "no nosniff");
  return 0;
}
