// `spool serve`: opens the store, starts the engine and the HTTP server, and stops them in order
// on SIGTERM/SIGINT. The signals are blocked in every thread and taken by sigwait() on the main
// thread, so no handler runs inside a lock and shutdown is ordinary code.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>

#include "cli/commands.hpp"
#include "cli/exit.hpp"
#include "cli/log_format.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "engine/engine.hpp"
#include "http/server.hpp"
#include "metrics/job_metrics.hpp"
#include "metrics/summary.hpp"
#include "push/callbacks.hpp"
#include "push/pusher.hpp"
#include "push/signing.hpp"
#include "store/fault_injecting_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace spool::cli {

using config::apply_env;
using config::kMaxIoThreads;
using config::load_config_file;
using config::parse_listen;
using config::ServeConfig;
using config::validate;
namespace {

struct Flags {
  std::string config;
  std::string listen;
  std::string data;
  std::string durability;
  std::string log_level;
  std::string log_format;
  int io_threads = 0;
};

[[noreturn]] void die(int code, const std::string& message) { fail(code, message, "spool serve"); }

ServeConfig resolve_config(const CLI::App& cmd, const Flags& f) {
  ServeConfig c;
  std::string config_path = f.config;
  if (config_path.empty()) {
    if (const char* p = std::getenv("SPOOL_CONFIG"); p && *p) config_path = p;
  }
  if (!config_path.empty()) {
    // The file is validated on its own so its errors name its keys.
    if (Status s = load_config_file(config_path, c); !s.ok()) die(kExitUsage, s.message());
  }
  if (Status s = apply_env([](const char* n) { return std::getenv(n); }, c); !s.ok()) {
    die(kExitUsage, s.message());
  }
  if (cmd.count("--listen")) c.listen = f.listen;
  if (cmd.count("--data")) c.data = f.data;
  if (cmd.count("--durability")) c.durability = f.durability;
  if (cmd.count("--log-level")) c.log_level = f.log_level;
  if (cmd.count("--log-format")) c.log_format = f.log_format;
  if (cmd.count("--io-threads")) c.io_threads = f.io_threads;
  if (Status s = validate(c); !s.ok()) die(kExitUsage, s.message());
  return c;
}

// Push delivery's tuning: the [push] table with SPOOL_PUSH_* over it (config.cpp).
push::PusherOptions pusher_options(const ServeConfig& c) {
  push::PusherOptions o = c.push;
  o.breaker.max_open_ms = std::max(o.breaker.max_open_ms, o.breaker.open_ms);
  return o;
}

metrics::PushView to_view(const push::PushHealth& h) {
  metrics::PushView v;
  for (const auto& b : h.breakers) {
    v.breakers.push_back(
        {b.target, std::string(push::to_string(b.state)), b.consecutive_failures, b.retry_in_ms});
  }
  for (const auto& q : h.queues) {
    v.queues.push_back({q.queue, q.target, q.state, q.message, q.in_flight});
  }
  return v;
}

// Blocks until SIGTERM or SIGINT; answers the signal's name.
const char* wait_for_signal(const sigset_t& set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

void run(const CLI::App& cmd, const Flags& flags) {
  // Before any thread starts (logger, engine, io threads), so all inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that vanishes mid-write must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);

  ServeConfig config = resolve_config(cmd, flags);
  install_server_logger(*parse_log_format(config.log_format), config.log_level);

  auto listen = parse_listen(config.listen);
  if (!listen) die(kExitUsage, listen.error().message());
  if (config.tokens.empty()) {
    if (!http::is_loopback_host(listen->host)) {
      die(kExitUsage,
          "refusing to listen on " + config.listen +
              " without a token: set SPOOL_TOKEN or add [[tokens]] to the config file, or "
              "listen on a loopback address such as 127.0.0.1");
    }
    spdlog::warn("event=auth_off reason=\"no token configured; listening on loopback only\"");
  }

  std::error_code fs_error;
  std::filesystem::create_directories(config.data, fs_error);
  if (fs_error) {
    die(kExitRefused, "cannot create the data folder " + config.data + ": " + fs_error.message());
  }
  store::SqliteOptions store_options;
  store_options.path = (std::filesystem::path(config.data) / "spool.db").string();
  store_options.durability =
      config.durability == "strict" ? store::Durability::kStrict : store::Durability::kFast;
  // Test seam, not a setting: caps the database file so black-box tests can fill the "disk"
  // and check that writes get 503 while reads go on. Undocumented on purpose.
  if (const char* pages = std::getenv("SPOOL_TEST_MAX_DB_PAGES")) {
    store_options.max_page_count = std::atoll(pages);
  }
  auto store = store::open_sqlite_store(store_options);
  if (!store) die(kExitRefused, store.error().message());
  // Test seam, not a setting: while the named file exists every store call fails, so
  // black-box tests can watch /readyz go 503 and come back. Undocumented on purpose.
  if (const char* fault = std::getenv("SPOOL_TEST_STORE_FAULT_FILE"); fault && *fault) {
    std::string path = fault;
    *store = store::inject_faults(std::move(*store), [path] {
      std::error_code ec;
      return std::filesystem::exists(path, ec);
    });
  }

  RealClock clock;
  engine::EngineOptions engine_options;
  engine_options.max_pending_commands = config.max_pending_commands;
  engine_options.default_timeout_ms = config.job_timeout_ms;
  engine::Engine engine(std::move(*store), clock, engine_options);
  // Event ids start at the start time in microseconds, so they keep increasing across restarts
  // and a Last-Event-ID from an earlier run is told it missed events (http/event_bus.hpp).
  auto events = std::make_shared<http::EventBus>(http::EventBusOptions{
      config.events_buffer, static_cast<std::uint64_t>(clock.now_ms()) * 1000});
  auto metrics = std::make_shared<metrics::JobMetrics>();
  // Benchmark seam, not a setting: SPOOL_BENCH_NO_OBSERVERS=1 runs the engine with no event
  // observer at all (no metrics, no live events, no summary), so docs/benchmarks.md can put a
  // figure on what watching costs. Undocumented in the configuration on purpose.
  if (const char* off = std::getenv("SPOOL_BENCH_NO_OBSERVERS"); off && std::string(off) == "1") {
    events.reset();
    metrics.reset();
  } else {
    engine.add_observer(events);
    engine.add_observer(metrics);
    engine.add_transaction_hook(std::make_shared<metrics::MinuteRecorder>());
  }
  // Completion callbacks (docs/push.md): its observer wakes it when jobs finish, so it is made
  // before the engine starts; config validation made sure the allow list and secret parse.
  push::CallbackOptions callback_options;
  callback_options.allow = CallbackAllowlist::parse(config.callbacks.allow).value();
  if (!config.callbacks.secret.empty()) {
    callback_options.key = push::decode_secret(config.callbacks.secret).value();
  }
  callback_options.max_attempts = config.callbacks.max_attempts;
  callback_options.backoff_base_ms = config.callbacks.backoff_base_ms;
  callback_options.backoff_max_ms = config.callbacks.backoff_max_ms;
  callback_options.timeout_ms = config.callbacks.timeout_ms;
  callback_options.ca_file = config.callbacks.ca_file;
  push::CallbackDispatcher callbacks(engine, clock, callback_options);
  engine.add_observer(callbacks.observer());
  engine.start();

  for (auto& [name, queue_config] : config.queues) {
    std::promise<StatusOr<QueueInfo>> done;
    auto answered = done.get_future();
    engine.patch_queue(name, queue_config,
                       [&done](StatusOr<QueueInfo> r) { done.set_value(std::move(r)); });
    if (auto r = answered.get(); !r) {
      engine.stop();
      die(kExitRefused, "cannot apply the config of queue " + name + ": " + r.error().message());
    }
  }

  for (auto& spec : config.schedules) {
    std::string name = spec.name;
    std::promise<StatusOr<Schedule>> done;
    auto answered = done.get_future();
    engine.upsert_schedule(std::move(spec),
                           [&done](StatusOr<Schedule> r) { done.set_value(std::move(r)); });
    auto r = answered.get();
    if (!r) {
      engine.stop();
      die(kExitRefused, "cannot apply the config of schedule " + name + ": " + r.error().message());
    }
    spdlog::info("event=schedule_configured name={} id={} next_run_at={}", r->name, r->id,
                 r->next_run_at ? format_rfc3339(*r->next_run_at) : std::string("never"));
  }

  // Push delivery (docs/push.md): an in-process worker for queues whose config has `push`.
  push::Pusher pusher(engine, clock, pusher_options(config));
  pusher.start();
  callbacks.start();

  http::ServerOptions options;
  options.host = listen->host;
  options.port = listen->port;
  options.io_threads = config.io_threads;
  options.body_limit_bytes = config.body_limit_bytes;
  options.max_connections = config.max_connections;
  options.tokens = config.tokens;
  options.events = events;
  options.events_keepalive = std::chrono::milliseconds(config.events_keepalive_ms);
  options.metrics = metrics;
  options.watch = config.watch;
  options.push = [&pusher] { return to_view(pusher.health()); };
  options.callbacks = callback_options.allow;
  options.clock = &clock;
  http::Server server(engine, std::move(options));
  auto bound = server.listen();
  if (!bound) {
    callbacks.stop();
    pusher.stop();
    engine.stop();
    die(kExitRefused, bound.error().message());
  }
  server.start();
  spdlog::info("event=listening address={} io_threads={} durability={} data={} auth={}", *bound,
               config.io_threads, config.durability, config.data,
               server.auth_enabled() ? "on" : "off");
  // Tests and scripts parse this line: keep it exactly so, alone on stdout.
  std::printf("spool listening on http://%s\n", bound->c_str());
  std::fflush(stdout);

  const char* sig = wait_for_signal(signals);
  spdlog::info("event=shutdown signal={}", sig);
  server.stop_accepting();
  pusher.stop();     // releases deliveries cut off mid-flight; before the engine stops
  callbacks.stop();  // attempts cut off go again after their hold; before the engine stops
  engine.stop();     // answers parked long polls with no jobs, commits what is queued
  server.drain_and_join(std::chrono::seconds(3));
  spdlog::info("event=stopped");
  spdlog::shutdown();
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("serve", "Run the job server (HTTP API, engine and store)");
  cmd->footer(
      "Example:\n  SPOOL_TOKEN=secret spool serve --listen 0.0.0.0:7070 --data /var/lib/spool\n"
      "Precedence: flags > SPOOL_* environment > config file > defaults "
      "(docs/configuration.md).");
  cmd->add_option("--config", flags->config, "TOML config file (or SPOOL_CONFIG)");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (default 127.0.0.1:7070)");
  cmd->add_option("--data", flags->data,
                  "data folder, created if missing; the database is DATA/spool.db "
                  "(default ./spool-data)");
  cmd->add_option("--durability", flags->durability,
                  "fast: survives a killed process; strict: survives power loss (default fast)")
      ->check(CLI::IsMember({"fast", "strict"}));
  cmd->add_option("--log-level", flags->log_level, "trace|debug|info|warn|error|off (default info)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cmd->add_option("--log-format", flags->log_format,
                  "text: key=value lines; json: one JSON object per line (default text)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--io-threads", flags->io_threads,
                  "network threads (default: cores - 1, at least 1, at most 4)")
      ->check(CLI::Range(1, kMaxIoThreads));
  cmd->callback([cmd, flags] { run(*cmd, *flags); });
}

}  // namespace spool::cli
