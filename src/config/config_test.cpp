// `spool serve` configuration: file keys, env, precedence inputs and error messages.
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

namespace spool::config {
namespace {

Status load(const std::string& text, ServeConfig& c) {
  return load_config_text(text, "spool.toml", c);
}

TEST(ConfigTest, ReadsEveryKey) {
  ServeConfig c;
  Status s = load(R"(
[server]
listen = "0.0.0.0:8080"
data = "/var/lib/spool"
durability = "strict"
body_limit_bytes = 2097152
io_threads = 4
log_level = "debug"
log_format = "json"
events_buffer = 4096
events_keepalive_ms = 5000
max_connections = 500
max_pending_commands = 2000
job_timeout_ms = 600000

[[tokens]]
token = "p-secret"
roles = ["producer", "reader"]

[queues.email]
max_attempts = 5
lease_ms = 60000
concurrency = 10
rate_limit = { limit = 100, per_ms = 1000 }
retain_completed_ms = 3600000
backoff = { type = "fixed", base_ms = 2000, jitter = false }
)",
                  c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.listen, "0.0.0.0:8080");
  EXPECT_EQ(c.durability, "strict");
  EXPECT_EQ(c.body_limit_bytes, 2097152u);
  EXPECT_EQ(c.io_threads, 4);
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.events_buffer, 4096u);
  EXPECT_EQ(c.events_keepalive_ms, 5000);
  EXPECT_EQ(c.max_connections, 500u);
  EXPECT_EQ(c.max_pending_commands, 2000u);
  EXPECT_EQ(c.job_timeout_ms, 600000);
  ASSERT_EQ(c.tokens.size(), 1u);
  EXPECT_EQ(c.tokens[0].roles,
            http::role_bit(http::Role::kProducer) | http::role_bit(http::Role::kReader));
  ASSERT_EQ(c.queues.size(), 1u);
  const auto& q = c.queues[0].second;
  EXPECT_EQ(q.max_attempts, 5);
  EXPECT_EQ(q.concurrency, 10);
  EXPECT_EQ(q.rate_limit->per_ms, 1000);
  EXPECT_EQ(q.backoff->type, BackoffType::kFixed);
  EXPECT_FALSE(q.backoff->jitter);
}

TEST(ConfigTest, QueuePushTableIsStoredAsItsJson) {
  ServeConfig c;
  Status s = load(R"([queues.hooks.push]
url = "https://api.example.com/hook"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
timeout_ms = 5000
headers = { X-Tenant = "acme" }
)",
                  c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.queues.size(), 1u);
  ASSERT_TRUE(c.queues[0].second.push_json);
  auto v = boost::json::parse(*c.queues[0].second.push_json);
  EXPECT_EQ(v.at("url").as_string(), "https://api.example.com/hook");
  EXPECT_EQ(v.at("timeout_ms").as_int64(), 5000);
  EXPECT_EQ(v.at("headers").at("X-Tenant").as_string(), "acme");
  ServeConfig bad;
  Status b = load(R"([queues.hooks.push]
url = "ftp://x"
)",
                  bad);
  EXPECT_FALSE(b.ok());
  EXPECT_NE(b.message().find("queues.hooks.push.url"), std::string::npos) << b.message();
}

TEST(ConfigTest, ErrorsNameTheKeyAndWhatIsAllowed) {
  struct Case {
    std::string text;
    std::string needle;
  };
  const Case cases[] = {
      {"[server]\nlissten = \"x\"", "server.lissten: unknown key"},
      {"[server]\nio_threads = 0", "server.io_threads: must be between 1 and 64, got 0"},
      {"[server]\nio_threads = \"2\"", "server.io_threads: must be an integer"},
      {"[server]\ndurability = \"sometimes\"", "durability must be fast or strict"},
      {"[server]\nlog_format = \"xml\"", "log_format must be text or json, got \"xml\""},
      {"[server]\nevents_keepalive_ms = 5", "server.events_keepalive_ms: must be between 100"},
      {"[server]\nlisten = \"nowhere\"", "listen must be HOST:PORT"},
      {"[server]\nmax_connections = 0", "server.max_connections: must be between 1 and 1000000"},
      {"[server]\nmax_pending_commands = 0", "server.max_pending_commands: must be between 1"},
      {"[server]\njob_timeout_ms = 5", "server.job_timeout_ms: must be between 100 and 604800000"},
      {"[queues.pdf]\ntimeout_ms = 5", "queues.pdf.timeout_ms must be between 100"},
      {"[[tokens]]\ntoken = \"t\"\nroles = [\"boss\"]", "tokens[0].roles: roles are admin"},
      {"[[tokens]]\nroles = [\"admin\"]", "tokens[0].token: is required"},
      {"[queues.email]\nlease_ms = 5", "queues.email.lease_ms must be between 100"},
      {"[queues.email]\nbackoff = { type = \"linear\" }", "queues.email.backoff.type"},
      {"[queues.email]\nretries = 3", "queues.email.retries: unknown key"},
      {"[queues.\"a b\"]\nmax_attempts = 3", "queues.a b: the queue name must be"},
      {"[other]\nx = 1", "other: unknown key"},
      {"[server\n", "spool.toml"},
  };
  for (const auto& c : cases) {
    ServeConfig config;
    Status s = load(c.text, config);
    EXPECT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.message().find(c.needle), std::string::npos) << s.message();
  }
}

TEST(ConfigTest, EnvOverridesAndAddsTheAdminToken) {
  std::map<std::string, std::string> env = {
      {"SPOOL_LISTEN", "127.0.0.1:9"}, {"SPOOL_IO_THREADS", "3"},
      {"SPOOL_TOKEN", "root"},         {"SPOOL_LOG_FORMAT", "json"},
      {"SPOOL_MAX_CONNECTIONS", "64"}, {"SPOOL_MAX_PENDING_COMMANDS", "5000"}};
  auto getenv = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  ServeConfig c;
  ASSERT_TRUE(apply_env(getenv, c).ok());
  EXPECT_EQ(c.listen, "127.0.0.1:9");
  EXPECT_EQ(c.io_threads, 3);
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.max_connections, 64u);
  EXPECT_EQ(c.max_pending_commands, 5000u);
  ASSERT_EQ(c.tokens.size(), 1u);
  EXPECT_EQ(c.tokens[0].roles, http::role_bit(http::Role::kAdmin));
  env["SPOOL_IO_THREADS"] = "many";
  Status s = apply_env(getenv, c);
  EXPECT_NE(s.message().find("SPOOL_IO_THREADS must be an integer"), std::string::npos);
}

TEST(ConfigTest, WatchKeysSetMetricsAccessAndReadinessThresholds) {
  ServeConfig c;
  EXPECT_FALSE(c.watch.metrics_public);
  Status s = load(R"(
[watch]
metrics_public = true
ready_backlog = 500
ready_failure_rate_percent = 10
ready_oldest_queued_ms = 60000
ready_store_latency_ms = 100
overdue_ms = 30000
)",
                  c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(c.watch.metrics_public);
  EXPECT_EQ(c.watch.ready.backlog, 500);
  EXPECT_EQ(c.watch.ready.failure_rate_percent, 10);
  EXPECT_EQ(c.watch.ready.oldest_queued_ms, 60000);
  EXPECT_EQ(c.watch.ready.store_latency_ms, 100);
  EXPECT_EQ(c.watch.overdue_ms, 30000);

  ServeConfig bad;
  s = load("[watch]\nready_failure_rate_percent = 150", bad);
  EXPECT_NE(s.message().find("watch.ready_failure_rate_percent: must be between 0 and 100"),
            std::string::npos)
      << s.message();
  s = load("[watch]\nmetrics_public = \"yes\"", bad);
  EXPECT_NE(s.message().find("watch.metrics_public: must be true or false"), std::string::npos)
      << s.message();
  s = load("[watch]\nready_backlg = 1", bad);
  EXPECT_NE(s.message().find("watch.ready_backlg: unknown key"), std::string::npos);

  ServeConfig env;
  std::map<std::string, std::string> vars = {{"SPOOL_METRICS_PUBLIC", "true"}};
  auto get = [&](const char* n) -> const char* {
    auto it = vars.find(n);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  ASSERT_TRUE(apply_env(get, env).ok());
  EXPECT_TRUE(env.watch.metrics_public);
  vars["SPOOL_METRICS_PUBLIC"] = "1";
  EXPECT_NE(apply_env(get, env).message().find("SPOOL_METRICS_PUBLIC must be true or false"),
            std::string::npos);
}

TEST(ConfigTest, ListenAddresses) {
  EXPECT_EQ(parse_listen("127.0.0.1:7070")->port, 7070);
  EXPECT_EQ(parse_listen("[::1]:0")->host, "::1");
  EXPECT_EQ(parse_listen("localhost:1")->host, "localhost");
  EXPECT_FALSE(parse_listen("::1:80"));
  EXPECT_FALSE(parse_listen("host:99999"));
  EXPECT_FALSE(parse_listen("host:"));
  EXPECT_FALSE(parse_listen(":80"));
}

}  // namespace
}  // namespace spool::config

namespace spool::config {
namespace {

TEST(ConfigTest, SchedulesAreReadByTheApisRulesAndErrorsNameTheEntry) {
  ServeConfig c;
  Status s = load_config_text(R"(
[[schedules]]
name = "daily_digest"
cron = "0 8 * * *"
timezone = "Europe/Berlin"
job = { type = "send_digest", payload = { edition = "daily" }, priority = 5 }

[[schedules]]
name = "cleanup"
every_ms = 900000
misfire = "skip"
overlap = "skip"
job = { type = "purge_sessions", queue = "maintenance", payload = {} }
)",
                              "spool.toml", c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.schedules.size(), 2u);
  EXPECT_EQ(c.schedules[0].name, "daily_digest");
  EXPECT_EQ(c.schedules[0].cron, "0 8 * * *");
  EXPECT_EQ(c.schedules[0].timezone, "Europe/Berlin");
  EXPECT_EQ(c.schedules[0].job.payload_json, R"({"edition":"daily"})");
  EXPECT_EQ(c.schedules[0].job.priority, 5);
  EXPECT_EQ(c.schedules[1].every_ms, 900000);
  EXPECT_EQ(c.schedules[1].misfire, MisfirePolicy::kSkip);
  EXPECT_EQ(c.schedules[1].overlap, OverlapPolicy::kSkip);
  EXPECT_EQ(c.schedules[1].job.queue, "maintenance");

  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"[[schedules]]\nname = \"a\"\ncron = \"0 25 * * *\"\njob = { type = \"t\", payload = {} }",
       "schedules[0]: cron \"0 25 * * *\": field 2 (hour)"},
      {"[[schedules]]\nname = \"a\"\nevery_ms = 1000\n", "schedules[0]: job is required"},
      {"[[schedules]]\nname = \"a\"\nevery_ms = 1000\njob = { type = \"t\", payload = {} }\n"
       "[[schedules]]\nname = \"a\"\nevery_ms = 2000\njob = { type = \"t\", payload = {} }",
       "schedules[1].name: the name a is used twice"},
      {"schedules = 3", "schedules: must be an array of tables"},
  };
  for (const Case& k : cases) {
    ServeConfig bad;
    Status e = load_config_text(k.text, "spool.toml", bad);
    EXPECT_FALSE(e.ok()) << k.text;
    EXPECT_NE(e.message().find(k.says), std::string::npos) << e.message();
  }
}

TEST(ConfigTest, PushTableTunesThePusherAndTheEnvironmentOverridesIt) {
  ServeConfig c;
  EXPECT_EQ(c.push.max_in_flight, 1024);
  Status s = load(R"(
[push]
refresh_ms = 250
long_poll_ms = 2000
max_in_flight = 256
max_idle_per_target = 8
breaker_failures = 3
breaker_window = 40
breaker_rate_percent = 0
breaker_open_ms = 1000
breaker_max_open_ms = 60000
stop_grace_ms = 500
)",
                  c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.push.refresh_ms, 250);
  EXPECT_EQ(c.push.long_poll_ms, 2000);
  EXPECT_EQ(c.push.max_in_flight, 256);
  EXPECT_EQ(c.push.max_idle_per_target, 8u);
  EXPECT_EQ(c.push.breaker.consecutive_failures, 3);
  EXPECT_EQ(c.push.breaker.window, 40);
  EXPECT_EQ(c.push.breaker.rate_percent, 0);
  EXPECT_EQ(c.push.breaker.open_ms, 1000);
  EXPECT_EQ(c.push.breaker.max_open_ms, 60000);
  EXPECT_EQ(c.push.stop_grace, std::chrono::milliseconds(500));

  // The environment wins over the file, key by key.
  std::map<std::string, std::string> vars = {{"SPOOL_PUSH_MAX_IN_FLIGHT", "64"},
                                             {"SPOOL_PUSH_STOP_GRACE_MS", "0"}};
  auto get = [&](const char* n) -> const char* {
    auto it = vars.find(n);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  ASSERT_TRUE(apply_env(get, c).ok());
  EXPECT_EQ(c.push.max_in_flight, 64);
  EXPECT_EQ(c.push.stop_grace, std::chrono::milliseconds(0));
  EXPECT_EQ(c.push.refresh_ms, 250);  // not in the environment: the file's
  vars["SPOOL_PUSH_BREAKER_RATE_PERCENT"] = "101";
  s = apply_env(get, c);
  EXPECT_NE(s.message().find("SPOOL_PUSH_BREAKER_RATE_PERCENT must be an integer between 0 and "
                             "100, got \"101\""),
            std::string::npos)
      << s.message();

  ServeConfig bad;
  s = load("[push]\nmax_in_flight = 0", bad);
  EXPECT_NE(s.message().find("push.max_in_flight: must be between 1 and 100000, got 0"),
            std::string::npos)
      << s.message();
  s = load("[push]\nstop_grace_ms = \"2s\"", bad);
  EXPECT_NE(s.message().find("push.stop_grace_ms: must be an integer"), std::string::npos)
      << s.message();
  s = load("[push]\nmax_inflight = 10", bad);
  EXPECT_NE(s.message().find("push.max_inflight: unknown key; [push] takes refresh_ms, "),
            std::string::npos)
      << s.message();
  s = load("push = 3", bad);
  EXPECT_NE(s.message().find("push: must be a table"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace spool::config

namespace spool::config {
namespace {

TEST(ConfigTest, CallbacksTableSetsTheAllowListSecretAndRetries) {
  ServeConfig c;
  Status s = load(R"(
[callbacks]
allow = ["https://hooks.example.com/spool/", "http://localhost:3000/"]
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
max_attempts = 4
backoff_base_ms = 100
backoff_max_ms = 200
timeout_ms = 2000
)",
                  c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.callbacks.allow.size(), 2u);
  EXPECT_EQ(c.callbacks.max_attempts, 4);
  EXPECT_EQ(c.callbacks.backoff_base_ms, 100);
  EXPECT_EQ(c.callbacks.backoff_max_ms, 200);
  EXPECT_EQ(c.callbacks.timeout_ms, 2000);
}

TEST(ConfigTest, CallbacksNeedASecretAndWellFormedPrefixes) {
  ServeConfig a;
  Status no_secret = load("[callbacks]\nallow = [\"https://hooks.example.com/\"]\n", a);
  EXPECT_NE(no_secret.message().find("callbacks.secret is required"), std::string::npos)
      << no_secret.message();
  ServeConfig b;
  Status bad_prefix = load(
      "[callbacks]\nallow = [\"https://hooks.example.com\"]\n"
      "secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n",
      b);
  EXPECT_NE(bad_prefix.message().find("https://hooks.example.com"), std::string::npos)
      << bad_prefix.message();
  ServeConfig d;
  Status unknown = load("[callbacks]\nretries = 3\n", d);
  EXPECT_NE(unknown.message().find("callbacks.retries"), std::string::npos) << unknown.message();
  ServeConfig e;
  Status env = apply_env(
      [](const char* name) -> const char* {
        return std::string(name) == "SPOOL_CALLBACKS_SECRET" ? "whsec_x" : nullptr;
      },
      e);
  EXPECT_TRUE(env.ok());
  EXPECT_EQ(e.callbacks.secret, "whsec_x");
}

}  // namespace
}  // namespace spool::config
