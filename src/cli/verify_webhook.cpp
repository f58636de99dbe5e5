// `spool verify-webhook`: checks a request that Spool pushed (or any Standard Webhooks request)
// with spool::verify_webhook, for receivers' tests and for debugging a rejected delivery.
// Exit codes: 0 the signature is valid, 1 it is not, 2 bad usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/exit.hpp"
#include "spool/webhook.hpp"

namespace spool::cli {
namespace {

struct VerifyFlags {
  std::string secret_file;
  std::string id, timestamp, signature;
  std::vector<std::string> headers;
  std::string body = "-";
  std::string tolerance = "5m";
};

[[noreturn]] void fail(int code, const std::string& message) {
  cli::fail(code, message, "spool verify-webhook");
}

std::string read_all(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  std::size_t start = s.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : s.substr(start);
}

void run(const VerifyFlags& f) {
  std::string secret;
  if (!f.secret_file.empty()) {
    std::ifstream in(f.secret_file, std::ios::binary);
    if (!in) fail(kExitUsage, "cannot read the secret file " + f.secret_file);
    secret = trim(read_all(in));
  } else if (const char* s = std::getenv("SPOOL_WEBHOOK_SECRET"); s && *s) {
    secret = s;
  } else {
    fail(kExitUsage,
         "give the secret in SPOOL_WEBHOOK_SECRET or with --secret-file (never on the command "
         "line, where other users can see it)");
  }
  WebhookHeaders headers;
  for (const std::string& h : f.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos)
      fail(kExitUsage, "--header must be \"name: value\", got \"" + h + "\"");
    headers[trim(h.substr(0, colon))] = trim(h.substr(colon + 1));
  }
  if (!f.id.empty()) headers["webhook-id"] = f.id;
  if (!f.timestamp.empty()) headers["webhook-timestamp"] = f.timestamp;
  if (!f.signature.empty()) headers["webhook-signature"] = f.signature;
  std::string body;
  if (f.body == "-") {
    body = read_all(std::cin);
  } else {
    std::ifstream in(f.body, std::ios::binary);
    if (!in) fail(kExitUsage, "cannot read the body file " + f.body);
    body = read_all(in);
  }
  auto tolerance = parse_duration_ms(f.tolerance);
  if (!tolerance) fail(kExitUsage, tolerance.error().message());
  auto ok = verify_webhook(
      secret, headers, body,
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::milliseconds(*tolerance)));
  if (!ok) {
    if (ok.error().code == "invalid_secret") fail(kExitUsage, ok.error().message);
    fail(kExitRefused, "invalid (" + ok.error().code + "): " + ok.error().message);
  }
  std::printf("valid\n");
}

}  // namespace

void add_verify_webhook_command(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* cmd = app.add_subcommand("verify-webhook",
                                 "Check the signature of a push delivery (Standard Webhooks)");
  cmd->footer(
      "Example:\n  SPOOL_WEBHOOK_SECRET=whsec_... spool verify-webhook --id 01JD... "
      "--timestamp 1764000000 \\\n    --signature 'v1,...' --body request-body.json\n"
      "Exit codes: 0 valid, 1 invalid (the reason on stderr), 2 bad usage.");
  cmd->add_option("--secret-file", flags->secret_file,
                  "file holding the whsec_ secret (or SPOOL_WEBHOOK_SECRET)");
  cmd->add_option("--id", flags->id, "the webhook-id header");
  cmd->add_option("--timestamp", flags->timestamp, "the webhook-timestamp header");
  cmd->add_option("--signature", flags->signature, "the webhook-signature header");
  cmd->add_option("--header,-H", flags->headers,
                  "a received header as \"name: value\" (repeatable), instead of the three above");
  cmd->add_option("--body", flags->body, "file with the raw request body; - reads stdin (default)");
  cmd->add_option("--tolerance", flags->tolerance,
                  "how far the timestamp may be from now, e.g. 5m (default), 1h");
  cmd->callback([flags] { run(*flags); });
}

}  // namespace spool::cli
