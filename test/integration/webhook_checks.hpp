// Signature checks shared by the push and callback suites: a received request's Standard
// Webhooks headers, and test/webhooks-js/verify.js (the npm `standardwebhooks` package, an
// independent implementation) run on a list of (secret, request) cases.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "spool/webhook.hpp"
#include "support/push_receiver.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {

inline spool::WebhookHeaders webhook_headers(const ReceivedRequest& r) {
  return {{"webhook-id", r.header("webhook-id")},
          {"webhook-timestamp", r.header("webhook-timestamp")},
          {"webhook-signature", r.header("webhook-signature")}};
}

// Answers verify.js's verdict line for each case ("ok" or why not), in order.
inline std::vector<std::string> verify_with_npm(
    const TempDir& dir, const std::vector<std::pair<std::string, ReceivedRequest>>& cases) {
  namespace json = boost::json;
  std::string js_dir = SPOOL_WEBHOOKS_JS_DIR;
  std::ifstream probe(js_dir + "/node_modules/standardwebhooks/package.json");
  if (!probe) {
    ADD_FAILURE() << "the npm standardwebhooks package is not installed: run "
                     "scripts/install-webhooks-js.sh";
    return {};
  }
  std::string in = dir.file("npm-cases.jsonl"), out = dir.file("npm-verdicts.txt");
  {
    std::ofstream f(in);
    for (const auto& [secret, r] : cases) {
      json::object line{{"secret", secret}, {"body", r.body}};
      json::object h;
      for (const auto& [k, v] : webhook_headers(r)) h[k] = v;
      line["headers"] = std::move(h);
      f << json::serialize(line) << "\n";
    }
  }
  std::string cmd = "node " + js_dir + "/verify.js < " + in + " > " + out;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream f(out);
  std::vector<std::string> verdicts;
  for (std::string line; std::getline(f, line);) verdicts.push_back(line);
  return verdicts;
}

}  // namespace spool::testing
