// libFuzzer target: Standard Webhooks verification (include/spool/webhook.hpp), the code every
// receiver of Spool's push deliveries and callbacks runs on bytes an attacker may send. The input
// is lines: tolerance in seconds (empty: 300), secret, webhook-id, webhook-timestamp,
// webhook-signature, then the body (the rest, newlines and all). "Now" is the Standard Webhooks
// test vector's time, so a run is deterministic. Traps when an invariant breaks:
//   - verify answers ok or one of the documented error codes, each with a message;
//   - for any secret that decodes: a signature made by sign_webhook_with_key verifies (alone,
//     or after the fuzzed signatures, as during a rotation), and fails for another body;
//   - header names match without regard to case;
//   - sign_webhook agrees with decode + sign_webhook_with_key.
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <spool/webhook.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

namespace {

using std::chrono::seconds;
constexpr std::int64_t kNow = 1614265330;

std::string_view next_line(std::string_view& rest) {
  std::string_view line = rest.substr(0, rest.find('\n'));
  rest.remove_prefix(line.size() < rest.size() ? line.size() + 1 : rest.size());
  return line;
}

bool documented(const std::string& code) {
  for (std::string_view c : {"invalid_secret", "missing_header", "invalid_timestamp",
                             "timestamp_too_old", "timestamp_too_new", "invalid_signature"}) {
    if (code == c) return true;
  }
  return false;
}

spool::Result<void> verify(std::string_view secret, const spool::WebhookHeaders& h,
                           std::string_view body, seconds tolerance) {
  auto r = spool::verify_webhook(secret, h, body, tolerance,
                                 std::chrono::system_clock::time_point(seconds(kNow)));
  if (!r) {
    FUZZ_CHECK(documented(r.error().code), "an undocumented error code");
    FUZZ_CHECK(!r.error().message.empty(), "an error without a message");
  }
  return r;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view tolerance_text = next_line(rest);
  const std::string_view secret = next_line(rest);
  const std::string_view id = next_line(rest);
  const std::string_view timestamp = next_line(rest);
  const std::string_view signature = next_line(rest);
  const std::string_view body = rest;

  std::int64_t tolerance_s = 300;
  if (!tolerance_text.empty()) {
    auto [end, ec] = std::from_chars(tolerance_text.data(),
                                     tolerance_text.data() + tolerance_text.size(), tolerance_s);
    if (ec != std::errc() || tolerance_s < 0) tolerance_s = 300;
  }
  const seconds tolerance(tolerance_s);

  const spool::WebhookHeaders given{{"webhook-id", std::string(id)},
                                    {"webhook-timestamp", std::string(timestamp)},
                                    {"webhook-signature", std::string(signature)}};
  const auto as_given = verify(secret, given, body, tolerance);
  const spool::WebhookHeaders shouted{{upper("webhook-id"), std::string(id)},
                                      {"Webhook-Timestamp", std::string(timestamp)},
                                      {upper("webhook-signature"), std::string(signature)}};
  const auto as_shouted = verify(secret, shouted, body, tolerance);
  FUZZ_CHECK(as_given.has_value() == as_shouted.has_value() &&
                 (as_given || as_given.error().code == as_shouted.error().code),
             "header names are matched with regard to case");
  // Missing headers are named, whatever else is wrong (after the secret).
  if (verify(secret, {{"webhook-id", std::string(id)}}, body, tolerance).has_value()) {
    FUZZ_CHECK(false, "a request without a timestamp or signature verified");
  }

  auto key = spool::decode_webhook_secret(secret);
  if (!key) return 0;
  FUZZ_CHECK(!key->empty(), "a secret decoded to no key");
  const std::string good = spool::sign_webhook_with_key(*key, id, kNow, body);
  auto signed_by_secret = spool::sign_webhook(secret, id, kNow, body);
  FUZZ_CHECK(signed_by_secret && *signed_by_secret == good,
             "sign_webhook disagrees with sign_webhook_with_key");
  const std::string now_text = std::to_string(kNow);
  FUZZ_CHECK(verify(secret,
                    {{"webhook-id", std::string(id)},
                     {"webhook-timestamp", now_text},
                     {"webhook-signature", good}},
                    body, tolerance),
             "a fresh signature does not verify");
  FUZZ_CHECK(verify(secret,
                    {{"webhook-id", std::string(id)},
                     {"webhook-timestamp", now_text},
                     {"webhook-signature", std::string(signature) + " " + good}},
                    body, tolerance),
             "a fresh signature after others does not verify");
  const auto tampered = verify(secret,
                               {{"webhook-id", std::string(id)},
                                {"webhook-timestamp", now_text},
                                {"webhook-signature", good}},
                               std::string(body) + "x", tolerance);
  FUZZ_CHECK(!tampered && tampered.error().code == "invalid_signature",
             "a signature verified another body");
  return 0;
}
