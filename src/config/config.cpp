#include "config/config.hpp"

#include <algorithm>
#include <boost/json/value.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <toml.hpp>

#include "core/callback_url.hpp"
#include "core/utf8.hpp"
#include "http/json_input.hpp"
#include "http/requests.hpp"
#include "push/signing.hpp"

namespace spool::config {
namespace {

Status bad(const std::string& origin, const std::string& key, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, origin + ": " + key + ": " + message, key);
}

std::string kind_of(const toml::value& v) {
  std::ostringstream os;
  os << v.type();
  return os.str();
}

// TOML -> JSON, so queue configs go through the HTTP API's own validation (one set of rules).
boost::json::value to_json(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return v.as_boolean();
    case toml::value_t::integer:
      return static_cast<std::int64_t>(v.as_integer());
    case toml::value_t::floating:
      return static_cast<double>(v.as_floating());
    case toml::value_t::string:
      return boost::json::string(v.as_string().str);
    case toml::value_t::array: {
      boost::json::array a;
      for (const auto& e : v.as_array()) a.push_back(to_json(e));
      return a;
    }
    case toml::value_t::table: {
      boost::json::object o;
      for (const auto& [k, e] : v.as_table()) o[k] = to_json(e);
      return o;
    }
    default: {
      std::ostringstream os;
      os << v;
      return boost::json::string(os.str());  // dates: rejected by the field's own check
    }
  }
}

Status read_string(const std::string& origin, const std::string& key, const toml::value& v,
                   std::string& out) {
  if (!v.is_string()) return bad(origin, key, "must be a string, got " + kind_of(v));
  out = v.as_string().str;
  return {};
}

Status read_int(const std::string& origin, const std::string& key, const toml::value& v,
                std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (!v.is_integer()) return bad(origin, key, "must be an integer, got " + kind_of(v));
  auto n = v.as_integer();
  if (n < lo || n > hi) {
    return bad(origin, key,
               "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                   std::to_string(n));
  }
  out = n;
  return {};
}

Status read_server(const std::string& origin, const toml::value& server, ServeConfig& c) {
  if (!server.is_table()) return bad(origin, "server", "must be a table ([server])");
  for (const auto& [k, v] : server.as_table()) {
    std::string key = "server." + k;
    Status s;
    if (k == "listen") {
      s = read_string(origin, key, v, c.listen);
    } else if (k == "data") {
      s = read_string(origin, key, v, c.data);
    } else if (k == "durability") {
      s = read_string(origin, key, v, c.durability);
    } else if (k == "log_level") {
      s = read_string(origin, key, v, c.log_level);
    } else if (k == "log_format") {
      s = read_string(origin, key, v, c.log_format);
    } else if (k == "events_buffer") {
      std::int64_t n = 0;
      s = read_int(origin, key, v, kMinEventsBuffer, kMaxEventsBuffer, n);
      if (s.ok()) c.events_buffer = static_cast<std::size_t>(n);
    } else if (k == "events_keepalive_ms") {
      s = read_int(origin, key, v, kMinEventsKeepaliveMs, kMaxEventsKeepaliveMs,
                   c.events_keepalive_ms);
    } else if (k == "body_limit_bytes") {
      std::int64_t n = 0;
      s = read_int(origin, key, v, kMinBodyLimit, kMaxBodyLimit, n);
      if (s.ok()) c.body_limit_bytes = static_cast<std::size_t>(n);
    } else if (k == "io_threads") {
      std::int64_t n = 0;
      s = read_int(origin, key, v, 1, kMaxIoThreads, n);
      if (s.ok()) c.io_threads = static_cast<int>(n);
    } else if (k == "max_connections") {
      std::int64_t n = 0;
      s = read_int(origin, key, v, 1, kMaxMaxConnections, n);
      if (s.ok()) c.max_connections = static_cast<std::size_t>(n);
    } else if (k == "max_pending_commands") {
      std::int64_t n = 0;
      s = read_int(origin, key, v, 1, kMaxMaxPendingCommands, n);
      if (s.ok()) c.max_pending_commands = static_cast<std::size_t>(n);
    } else if (k == "job_timeout_ms") {
      std::int64_t n = 0;
      s = read_int(origin, key, v, kMinTimeoutMs, kMaxTimeoutMs, n);
      if (s.ok()) c.job_timeout_ms = n;
    } else {
      return bad(origin, key,
                 "unknown key; [server] takes listen, data, durability, body_limit_bytes, "
                 "io_threads, log_level, log_format, events_buffer, events_keepalive_ms, "
                 "max_connections, max_pending_commands, job_timeout_ms");
    }
    if (!s.ok()) return s;
  }
  return {};
}

Status read_tokens(const std::string& origin, const toml::value& tokens, ServeConfig& c) {
  if (!tokens.is_array()) {
    return bad(origin, "tokens", "must be an array of tables ([[tokens]] with token and roles)");
  }
  const auto& list = tokens.as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string at = "tokens[" + std::to_string(i) + "]";
    if (!list[i].is_table()) return bad(origin, at, "must be a table with token and roles");
    http::TokenSpec spec;
    bool has_roles = false;
    for (const auto& [k, v] : list[i].as_table()) {
      std::string key = at + "." + k;
      if (k == "token") {
        if (Status s = read_string(origin, key, v, spec.token); !s.ok()) return s;
        if (spec.token.empty()) return bad(origin, key, "must not be empty");
      } else if (k == "roles") {
        if (!v.is_array() || v.as_array().empty()) {
          return bad(origin, key,
                     "must be a non-empty array of roles: admin, producer, worker, reader");
        }
        for (const auto& r : v.as_array()) {
          std::optional<http::Role> role;
          if (r.is_string()) role = http::parse_role(r.as_string().str);
          if (!role) {
            return bad(origin, key,
                       "roles are admin, producer, worker or reader, got " +
                           (r.is_string() ? "\"" + r.as_string().str + "\"" : kind_of(r)));
          }
          spec.roles |= http::role_bit(*role);
        }
        has_roles = true;
      } else {
        return bad(origin, key, "unknown key; [[tokens]] takes token and roles");
      }
    }
    if (spec.token.empty()) return bad(origin, at + ".token", "is required");
    if (!has_roles) return bad(origin, at + ".roles", "is required (e.g. roles = [\"producer\"])");
    c.tokens.push_back(std::move(spec));
  }
  return {};
}

Status read_callbacks(const std::string& origin, const toml::value& table, ServeConfig& c) {
  if (!table.is_table()) return bad(origin, "callbacks", "must be a table ([callbacks])");
  CallbacksConfig& cb = c.callbacks;
  for (const auto& [k, v] : table.as_table()) {
    std::string key = "callbacks." + k;
    Status s;
    if (k == "allow") {
      if (!v.is_array()) return bad(origin, key, "must be an array of URL prefixes");
      cb.allow.clear();
      for (const auto& e : v.as_array()) {
        if (!e.is_string()) return bad(origin, key, "must hold strings, got " + kind_of(e));
        cb.allow.push_back(e.as_string().str);
      }
    } else if (k == "secret") {
      s = read_string(origin, key, v, cb.secret);
    } else if (k == "ca_file") {
      s = read_string(origin, key, v, cb.ca_file);
    } else if (k == "max_attempts") {
      std::int64_t n = cb.max_attempts;
      s = read_int(origin, key, v, 1, 100, n);
      cb.max_attempts = static_cast<int>(n);
    } else if (k == "backoff_base_ms") {
      s = read_int(origin, key, v, 1, 86'400'000, cb.backoff_base_ms);
    } else if (k == "backoff_max_ms") {
      s = read_int(origin, key, v, 1, 86'400'000, cb.backoff_max_ms);
    } else if (k == "timeout_ms") {
      s = read_int(origin, key, v, 1, 300'000, cb.timeout_ms);
    } else {
      return bad(origin, key,
                 "unknown key; [callbacks] takes allow, secret, max_attempts, backoff_base_ms, "
                 "backoff_max_ms, timeout_ms, ca_file");
    }
    if (!s.ok()) return s;
  }
  return {};
}

Status read_watch(const std::string& origin, const toml::value& watch, ServeConfig& c) {
  if (!watch.is_table()) return bad(origin, "watch", "must be a table ([watch])");
  http::WatchOptions& w = c.watch;
  constexpr std::int64_t kDay = 86'400'000;
  for (const auto& [k, v] : watch.as_table()) {
    std::string key = "watch." + k;
    Status s;
    if (k == "metrics_public") {
      if (!v.is_boolean()) return bad(origin, key, "must be true or false, got " + kind_of(v));
      w.metrics_public = v.as_boolean();
    } else if (k == "ready_backlog") {
      s = read_int(origin, key, v, 1, 1'000'000'000'000, w.ready.backlog);
    } else if (k == "ready_failure_rate_percent") {
      s = read_int(origin, key, v, 0, 100, w.ready.failure_rate_percent);
    } else if (k == "ready_oldest_queued_ms") {
      s = read_int(origin, key, v, 1, 30 * kDay, w.ready.oldest_queued_ms);
    } else if (k == "ready_store_latency_ms") {
      s = read_int(origin, key, v, 1, 600'000, w.ready.store_latency_ms);
    } else if (k == "overdue_ms") {
      s = read_int(origin, key, v, 1, 30 * kDay, w.overdue_ms);
    } else {
      return bad(origin, key,
                 "unknown key; [watch] takes metrics_public, ready_backlog, "
                 "ready_failure_rate_percent, ready_oldest_queued_ms, ready_store_latency_ms, "
                 "overdue_ms");
    }
    if (!s.ok()) return s;
  }
  return {};
}

// [push] and SPOOL_PUSH_*: one row per key, so the file and the environment share the ranges.
struct PushKey {
  const char* key;  // in [push]; the variable is SPOOL_PUSH_ + its upper case
  const char* env;
  std::int64_t lo, hi;
  std::int64_t (*get)(const push::PusherOptions&);
  void (*set)(push::PusherOptions&, std::int64_t);
};

constexpr std::int64_t kDayMs = 86'400'000;
const PushKey kPushKeys[] = {
    {"refresh_ms", "SPOOL_PUSH_REFRESH_MS", 10, 600'000,
     [](const push::PusherOptions& o) { return o.refresh_ms; },
     [](push::PusherOptions& o, std::int64_t n) { o.refresh_ms = n; }},
    {"long_poll_ms", "SPOOL_PUSH_LONG_POLL_MS", 100, 60'000,
     [](const push::PusherOptions& o) { return o.long_poll_ms; },
     [](push::PusherOptions& o, std::int64_t n) { o.long_poll_ms = n; }},
    {"max_in_flight", "SPOOL_PUSH_MAX_IN_FLIGHT", 1, 100'000,
     [](const push::PusherOptions& o) { return std::int64_t{o.max_in_flight}; },
     [](push::PusherOptions& o, std::int64_t n) { o.max_in_flight = static_cast<int>(n); }},
    {"max_idle_per_target", "SPOOL_PUSH_MAX_IDLE_PER_TARGET", 0, 10'000,
     [](const push::PusherOptions& o) { return static_cast<std::int64_t>(o.max_idle_per_target); },
     [](push::PusherOptions& o, std::int64_t n) {
       o.max_idle_per_target = static_cast<std::size_t>(n);
     }},
    {"breaker_failures", "SPOOL_PUSH_BREAKER_FAILURES", 1, 1'000'000,
     [](const push::PusherOptions& o) { return std::int64_t{o.breaker.consecutive_failures}; },
     [](push::PusherOptions& o, std::int64_t n) {
       o.breaker.consecutive_failures = static_cast<int>(n);
     }},
    {"breaker_window", "SPOOL_PUSH_BREAKER_WINDOW", 1, 100'000,
     [](const push::PusherOptions& o) { return std::int64_t{o.breaker.window}; },
     [](push::PusherOptions& o, std::int64_t n) { o.breaker.window = static_cast<int>(n); }},
    {"breaker_rate_percent", "SPOOL_PUSH_BREAKER_RATE_PERCENT", 0, 100,
     [](const push::PusherOptions& o) { return std::int64_t{o.breaker.rate_percent}; },
     [](push::PusherOptions& o, std::int64_t n) { o.breaker.rate_percent = static_cast<int>(n); }},
    {"breaker_open_ms", "SPOOL_PUSH_BREAKER_OPEN_MS", 1, kDayMs,
     [](const push::PusherOptions& o) { return std::int64_t{o.breaker.open_ms}; },
     [](push::PusherOptions& o, std::int64_t n) { o.breaker.open_ms = n; }},
    {"breaker_max_open_ms", "SPOOL_PUSH_BREAKER_MAX_OPEN_MS", 1, kDayMs,
     [](const push::PusherOptions& o) { return std::int64_t{o.breaker.max_open_ms}; },
     [](push::PusherOptions& o, std::int64_t n) { o.breaker.max_open_ms = n; }},
    {"stop_grace_ms", "SPOOL_PUSH_STOP_GRACE_MS", 0, 60'000,
     [](const push::PusherOptions& o) { return static_cast<std::int64_t>(o.stop_grace.count()); },
     [](push::PusherOptions& o, std::int64_t n) { o.stop_grace = std::chrono::milliseconds(n); }},
};

Status read_push(const std::string& origin, const toml::value& table, ServeConfig& c) {
  if (!table.is_table()) return bad(origin, "push", "must be a table ([push])");
  for (const auto& [k, v] : table.as_table()) {
    std::string key = "push." + k;
    const PushKey* row = nullptr;
    for (const PushKey& p : kPushKeys) {
      if (k == p.key) row = &p;
    }
    if (!row) {
      std::string known;
      for (const PushKey& p : kPushKeys) known += (known.empty() ? "" : ", ") + std::string(p.key);
      return bad(origin, key, "unknown key; [push] takes " + known);
    }
    std::int64_t n = 0;
    if (Status s = read_int(origin, key, v, row->lo, row->hi, n); !s.ok()) return s;
    row->set(c.push, n);
  }
  return {};
}

Status read_queues(const std::string& origin, const toml::value& queues, ServeConfig& c) {
  if (!queues.is_table()) return bad(origin, "queues", "must be a table of [queues.<name>]");
  for (const auto& [name, v] : queues.as_table()) {
    std::string at = "queues." + name;
    if (Status s = http::check_queue_name(name); !s.ok()) {
      return bad(origin, at, "the queue name " + s.message().substr(s.message().find("must")));
    }
    if (!v.is_table()) return bad(origin, at, "must be a table");
    for (const auto& [k, e] : v.as_table()) {
      static const char* kKeys[] = {"max_attempts",   "lease_ms",
                                    "timeout_ms",     "concurrency",
                                    "rate_limit",     "retain_completed_ms",
                                    "retain_dead_ms", "retain_cancelled_ms",
                                    "backoff",        "push"};
      bool known = false;
      for (const char* key : kKeys) known |= k == key;
      if (!known) {
        return bad(origin, at + "." + k,
                   "unknown key; a queue takes max_attempts, lease_ms, timeout_ms, concurrency, "
                   "rate_limit, retain_completed_ms, retain_dead_ms, retain_cancelled_ms, "
                   "backoff, push");
      }
    }
    std::string json = http::to_json_text(to_json(v));
    auto config = http::parse_queue_patch(json);
    if (!config) {
      const Status& e = config.error();
      return Status(StatusCode::kInvalidArgument, origin + ": " + at + "." + e.message(),
                    at + "." + e.field());
    }
    c.queues.emplace_back(name, std::move(*config));
  }
  return {};
}

// [[schedules]]: each table is the body of POST /v1/schedules, checked by the API's own rules.
Status read_schedules(const std::string& origin, const toml::value& schedules, ServeConfig& c) {
  if (!schedules.is_array()) {
    return bad(origin, "schedules",
               "must be an array of tables ([[schedules]] with name, cron or every_ms, job)");
  }
  const auto& list = schedules.as_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string at = "schedules[" + std::to_string(i) + "]";
    if (!list[i].is_table()) return bad(origin, at, "must be a table with name, cron and job");
    auto spec = http::parse_schedule_create(http::to_json_text(to_json(list[i])));
    if (!spec) {
      const Status& e = spec.error();
      return Status(StatusCode::kInvalidArgument, origin + ": " + at + ": " + e.message(),
                    at + "." + e.field());
    }
    for (const auto& other : c.schedules) {
      if (other.name == spec->name) {
        return bad(origin, at + ".name", "the name " + spec->name + " is used twice");
      }
    }
    c.schedules.push_back(std::move(*spec));
  }
  return {};
}

}  // namespace

Status load_config_text(const std::string& text, const std::string& origin, ServeConfig& c) {
  // A TOML file is UTF-8 (the spec says so), and toml11 3.7 overruns its buffer reporting some
  // bytes that are not (test/regress/config_invalid_utf8_test.cpp): they are refused here first.
  if (auto bad = first_invalid_utf8(text)) {
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n');
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[*bad]));
    return Status(StatusCode::kInvalidArgument,
                  origin + ": line " + std::to_string(line) + ": the byte " + hex +
                      " is not UTF-8; a TOML file must be UTF-8 text");
  }
  toml::value root;
  try {
    std::istringstream in(text);
    root = toml::parse(in, origin);
  } catch (const std::exception& e) {
    return Status(StatusCode::kInvalidArgument, std::string(e.what()));
  }
  if (!root.is_table()) return bad(origin, "(top)", "must be a TOML table");
  for (const auto& [k, v] : root.as_table()) {
    Status s;
    if (k == "server") {
      s = read_server(origin, v, c);
    } else if (k == "tokens") {
      s = read_tokens(origin, v, c);
    } else if (k == "queues") {
      s = read_queues(origin, v, c);
    } else if (k == "watch") {
      s = read_watch(origin, v, c);
    } else if (k == "schedules") {
      s = read_schedules(origin, v, c);
    } else if (k == "push") {
      s = read_push(origin, v, c);
    } else if (k == "callbacks") {
      s = read_callbacks(origin, v, c);
    } else {
      return bad(origin, k,
                 "unknown key; the file takes [server], [[tokens]], [queues.<name>], [watch], "
                 "[push], [[schedules]] and [callbacks]");
    }
    if (!s.ok()) return s;
  }
  return validate(c);
}

Status load_config_file(const std::string& path, ServeConfig& c) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status(StatusCode::kInvalidArgument, "cannot read the config file " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path, c);
}

Status apply_env(const GetEnv& getenv, ServeConfig& c) {
  auto str = [&](const char* name, std::string& out) {
    if (const char* v = getenv(name); v && *v) out = v;
  };
  str("SPOOL_LISTEN", c.listen);
  str("SPOOL_CALLBACKS_SECRET", c.callbacks.secret);
  str("SPOOL_DATA", c.data);
  str("SPOOL_DURABILITY", c.durability);
  str("SPOOL_LOG_LEVEL", c.log_level);
  str("SPOOL_LOG_FORMAT", c.log_format);
  auto number = [&](const char* name, std::int64_t lo, std::int64_t hi,
                    std::int64_t& out) -> Status {
    const char* v = getenv(name);
    if (!v || !*v) return {};
    std::string_view s(v);
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || n < lo || n > hi) {
      return Status(StatusCode::kInvalidArgument,
                    std::string(name) + " must be an integer between " + std::to_string(lo) +
                        " and " + std::to_string(hi) + ", got \"" + std::string(s) + "\"",
                    name);
    }
    out = n;
    return {};
  };
  std::int64_t n = static_cast<std::int64_t>(c.body_limit_bytes);
  if (Status s = number("SPOOL_BODY_LIMIT_BYTES", kMinBodyLimit, kMaxBodyLimit, n); !s.ok()) {
    return s;
  }
  c.body_limit_bytes = static_cast<std::size_t>(n);
  n = c.io_threads;
  if (Status s = number("SPOOL_IO_THREADS", 1, kMaxIoThreads, n); !s.ok()) return s;
  c.io_threads = static_cast<int>(n);
  n = static_cast<std::int64_t>(c.events_buffer);
  if (Status s = number("SPOOL_EVENTS_BUFFER", kMinEventsBuffer, kMaxEventsBuffer, n); !s.ok()) {
    return s;
  }
  c.events_buffer = static_cast<std::size_t>(n);
  if (Status s = number("SPOOL_EVENTS_KEEPALIVE_MS", kMinEventsKeepaliveMs, kMaxEventsKeepaliveMs,
                        c.events_keepalive_ms);
      !s.ok()) {
    return s;
  }
  n = static_cast<std::int64_t>(c.max_connections);
  if (Status s = number("SPOOL_MAX_CONNECTIONS", 1, kMaxMaxConnections, n); !s.ok()) return s;
  c.max_connections = static_cast<std::size_t>(n);
  n = static_cast<std::int64_t>(c.max_pending_commands);
  if (Status s = number("SPOOL_MAX_PENDING_COMMANDS", 1, kMaxMaxPendingCommands, n); !s.ok()) {
    return s;
  }
  c.max_pending_commands = static_cast<std::size_t>(n);
  if (const char* p = getenv("SPOOL_METRICS_PUBLIC"); p && *p) {
    std::string_view v = p;
    if (v != "true" && v != "false") {
      return Status(StatusCode::kInvalidArgument,
                    "SPOOL_METRICS_PUBLIC must be true or false, got \"" + std::string(v) + "\"",
                    "SPOOL_METRICS_PUBLIC");
    }
    c.watch.metrics_public = v == "true";
  }
  if (const char* t = getenv("SPOOL_TOKEN"); t && *t) {
    c.tokens.push_back({t, http::role_bit(http::Role::kAdmin)});
  }
  for (const PushKey& p : kPushKeys) {
    n = p.get(c.push);
    if (Status s = number(p.env, p.lo, p.hi, n); !s.ok()) return s;
    p.set(c.push, n);
  }
  return {};
}

Status validate(const ServeConfig& c) {
  if (auto l = parse_listen(c.listen); !l) return l.error();
  if (auto allow = CallbackAllowlist::parse(c.callbacks.allow); !allow) return allow.error();
  if (!c.callbacks.allow.empty()) {
    if (c.callbacks.secret.empty()) {
      return Status(StatusCode::kInvalidArgument,
                    "callbacks.secret is required when callbacks.allow is set: it signs every "
                    "callback (whsec_ + base64 of 32 random bytes: echo whsec_$(openssl rand "
                    "-base64 32))",
                    "callbacks.secret");
    }
    if (auto key = push::decode_secret(c.callbacks.secret); !key) {
      return Status(StatusCode::kInvalidArgument, "callbacks.secret: " + key.error().message(),
                    "callbacks.secret");
    }
  }
  if (c.callbacks.backoff_max_ms < c.callbacks.backoff_base_ms) {
    return Status(StatusCode::kInvalidArgument,
                  "callbacks.backoff_max_ms must be at least callbacks.backoff_base_ms (" +
                      std::to_string(c.callbacks.backoff_base_ms) + "), got " +
                      std::to_string(c.callbacks.backoff_max_ms),
                  "callbacks.backoff_max_ms");
  }
  if (c.durability != "fast" && c.durability != "strict") {
    return Status(StatusCode::kInvalidArgument,
                  "durability must be fast or strict, got \"" + c.durability + "\"", "durability");
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= c.log_level == l;
  if (!level_ok) {
    return Status(StatusCode::kInvalidArgument,
                  "log_level must be trace, debug, info, warn, error, critical or off, got \"" +
                      c.log_level + "\"",
                  "log_level");
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return Status(StatusCode::kInvalidArgument,
                  "log_format must be text or json, got \"" + c.log_format + "\"", "log_format");
  }
  if (c.io_threads < 1 || c.io_threads > kMaxIoThreads) {
    return Status(StatusCode::kInvalidArgument,
                  "io_threads must be between 1 and " + std::to_string(kMaxIoThreads) + ", got " +
                      std::to_string(c.io_threads),
                  "io_threads");
  }
  if (c.body_limit_bytes < kMinBodyLimit || c.body_limit_bytes > kMaxBodyLimit) {
    return Status(StatusCode::kInvalidArgument,
                  "body_limit_bytes must be between " + std::to_string(kMinBodyLimit) + " and " +
                      std::to_string(kMaxBodyLimit) + ", got " + std::to_string(c.body_limit_bytes),
                  "body_limit_bytes");
  }
  if (c.data.empty()) {
    return Status(StatusCode::kInvalidArgument, "data must name a folder", "data");
  }
  return {};
}

StatusOr<ListenAddress> parse_listen(const std::string& text) {
  auto fail = [&] {
    return invalid(
        "listen",
        "listen must be HOST:PORT (e.g. 127.0.0.1:7070 or [::1]:7070), got \"" + text + "\"");
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return fail();
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return fail();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return fail();  // a bare IPv6 address needs brackets
  }
  std::string_view port = std::string_view(text).substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return fail();
  }
  return ListenAddress{host, static_cast<std::uint16_t>(value)};
}

}  // namespace spool::config
