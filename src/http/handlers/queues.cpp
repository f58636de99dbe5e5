// GET /v1/queues, GET|PATCH /v1/queues/{name}, pause, resume, retry-dead, purge, GET /v1/stats.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_writer.hpp"
#include "engine/engine.hpp"
#include "http/encode.hpp"
#include "http/handlers/handlers.hpp"
#include "http/json_input.hpp"

namespace spool::http::handlers {
namespace {

Status unknown_queue(const std::string& name) {
  return Status(StatusCode::kNotFound, "no queue named " + quote_for_message(name));
}

engine::Callback<QueueInfo> answer_queue(ExchangePtr ex, std::string name) {
  return [ex = std::move(ex), name = std::move(name)](StatusOr<QueueInfo> q) {
    if (!q) {
      return respond_error(
          ex, q.error().code() == StatusCode::kNotFound ? unknown_queue(name) : q.error());
    }
    ex->respond(json_response(200, encode_queue(*q)));
  };
}

// Adds "push_status" {state, target, in_flight, message, breaker} to a queue's encoding when the
// pusher knows the queue (docs/push.md).
std::string with_push_status(std::string encoded, const std::string& name,
                             const metrics::PushView& view) {
  const metrics::PushQueueView* q = nullptr;
  for (const auto& v : view.queues) {
    if (v.queue == name) q = &v;
  }
  if (!q || encoded.empty() || encoded.back() != '}') return encoded;
  JsonWriter w;
  w.begin_object()
      .field("state", q->state)
      .field("target", q->target)
      .field("in_flight", q->in_flight);
  if (!q->message.empty()) w.field("message", q->message);
  for (const auto& b : view.breakers) {
    if (b.target != q->target) continue;
    w.key("breaker").begin_object();
    w.field("state", b.state)
        .field("consecutive_failures", b.consecutive_failures)
        .field("retry_in_ms", b.retry_in_ms);
    w.end_object();
  }
  w.end_object();
  encoded.pop_back();
  encoded += ",\"push_status\":" + w.take() + "}";
  return encoded;
}

// push_json with a fresh "secret" (whsec_ + base64 of 32 random bytes) when it has none.
std::string add_push_secret(const std::string& push_json, std::optional<std::string>& generated) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(push_json, ec);
  if (ec || !v.is_object() || v.as_object().contains("secret")) return push_json;
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) return push_json;  // the pusher reports it unsigned
  std::string b64(44, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), key, sizeof key);
  b64.resize(static_cast<std::size_t>(n));
  generated = "whsec_" + b64;
  v.as_object()["secret"] = *generated;
  return boost::json::serialize(v);
}

}  // namespace

void list_queues(Context& ctx, const Request&, ExchangePtr ex) {
  ctx.engine.list_queues([ex](StatusOr<std::vector<QueueInfo>> queues) {
    if (!queues) return respond_error(ex, queues.error());
    auto shared = std::make_shared<std::vector<QueueInfo>>(std::move(*queues));
    ex->respond_with([shared] { return json_response(200, encode_queues(*shared)); });
  });
}

void get_queue(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& name = req.params.at(0);
  // A name no queue can have names no queue: 404 rather than 400, as for job ids.
  if (!check_queue_name(name).ok()) return respond_error(ex, unknown_queue(name));
  if (!ctx.push) return ctx.engine.get_queue(name, answer_queue(ex, name));
  metrics::PushViewSource push = ctx.push;
  ctx.engine.get_queue(name, [ex, name, push](StatusOr<QueueInfo> q) {
    if (!q) {
      return respond_error(
          ex, q.error().code() == StatusCode::kNotFound ? unknown_queue(name) : q.error());
    }
    ex->respond(json_response(200, with_push_status(encode_queue(*q), name, push())));
  });
}

void patch_queue(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& name = req.params.at(0);
  if (Status s = check_queue_name(name); !s.ok()) return respond_error(ex, s);
  auto patch = parse_queue_patch(req.body);
  if (!patch) return respond_error(ex, patch.error());
  // A push config without a secret gets one made here, shown once in this answer
  // ("generated_secret") and never again: every queue answer redacts it (docs/push.md).
  std::optional<std::string> generated;
  if (patch->push_json) patch->push_json = add_push_secret(*patch->push_json, generated);
  if (!generated) return ctx.engine.patch_queue(name, std::move(*patch), answer_queue(ex, name));
  ctx.engine.patch_queue(name, std::move(*patch),
                         [ex, name, secret = *generated](StatusOr<QueueInfo> q) {
                           if (!q) return respond_error(ex, q.error());
                           std::string body = encode_queue(*q);
                           body.pop_back();
                           JsonWriter w;
                           w.value(secret);
                           body += ",\"generated_secret\":" + w.take() + "}";
                           ex->respond(json_response(200, body));
                         });
}

void pause_queue(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& name = req.params.at(0);
  if (Status s = check_queue_name(name); !s.ok()) return respond_error(ex, s);
  ctx.engine.set_paused(name, true, answer_queue(ex, name));
}

void resume_queue(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& name = req.params.at(0);
  if (Status s = check_queue_name(name); !s.ok()) return respond_error(ex, s);
  ctx.engine.set_paused(name, false, answer_queue(ex, name));
}

void retry_dead(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& name = req.params.at(0);
  if (Status s = check_queue_name(name); !s.ok()) return respond_error(ex, s);
  auto type = parse_retry_dead(req.body);
  if (!type) return respond_error(ex, type.error());
  ctx.engine.retry_dead(name, std::move(*type), [ex](StatusOr<std::int64_t> n) {
    if (!n) return respond_error(ex, n.error());
    ex->respond(json_response(200, encode_count("retried", *n)));
  });
}

void purge_queue(Context& ctx, const Request& req, ExchangePtr ex) {
  const std::string& name = req.params.at(0);
  if (Status s = check_queue_name(name); !s.ok()) return respond_error(ex, s);
  auto state = parse_purge(*req.query);
  if (!state) return respond_error(ex, state.error());
  ctx.engine.purge(name, *state, [ex](StatusOr<std::int64_t> n) {
    if (!n) return respond_error(ex, n.error());
    ex->respond(json_response(200, encode_count("deleted", *n)));
  });
}

void stats(Context& ctx, const Request&, ExchangePtr ex) {
  ctx.engine.stats([ex](StatusOr<ops::Stats> s) {
    if (!s) return respond_error(ex, s.error());
    auto shared = std::make_shared<ops::Stats>(std::move(*s));
    ex->respond_with([shared] { return json_response(200, encode_stats(*shared)); });
  });
}

}  // namespace spool::http::handlers
