// The secrets black-box tests hand to servers (tokens in SPOOL_TOKEN, config files, Authorization
// headers, right or wrong), so every ServerProcess can check, when it stops, that none of them
// reached its log. Together the checks scan the logs of the whole integration suite, at debug
// level (ServerProcess's default), for a leaked token (API.md: tokens never appear in logs).
// Thread-safe.
#pragma once

#include <string>
#include <vector>

namespace spool::testing {

// Values shorter than kMinSecretLength are ignored: too likely to occur in a log by chance.
inline constexpr std::size_t kMinSecretLength = 6;

void register_secret(const std::string& secret);
std::vector<std::string> registered_secrets();

// The tokens of a config file's [[tokens]] tables (`token = "..."` lines).
std::vector<std::string> tokens_in_config_file(const std::string& path);

// Every line of `log` that shows a secret or an Authorization header value, for a failure
// message; empty when the log is clean.
std::string secret_leaks(const std::string& log, const std::vector<std::string>& secrets);

}  // namespace spool::testing
