#include "support/secrets.hpp"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

namespace spool::testing {
namespace {

std::mutex mu;
std::vector<std::string>& secrets() {
  static std::vector<std::string> all;  // GUARDED_BY(mu)
  return all;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void register_secret(const std::string& secret) {
  if (secret.size() < kMinSecretLength) return;
  std::lock_guard lock(mu);
  auto& all = secrets();
  if (std::find(all.begin(), all.end(), secret) == all.end()) all.push_back(secret);
}

std::vector<std::string> registered_secrets() {
  std::lock_guard lock(mu);
  return secrets();
}

std::vector<std::string> tokens_in_config_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  static const std::regex token_line(R"re(token\s*=\s*"([^"]*)")re");
  std::vector<std::string> out;
  for (std::sregex_iterator it(s.begin(), s.end(), token_line), end; it != end; ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

std::string secret_leaks(const std::string& log, const std::vector<std::string>& secrets) {
  std::string leaks;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    std::string l = lower(line);
    bool leak =
        l.find("bearer ") != std::string::npos || l.find("authorization:") != std::string::npos;
    for (const auto& s : secrets) {
      leak |= s.size() >= kMinSecretLength && line.find(s) != std::string::npos;
    }
    if (leak) leaks += line + "\n";
  }
  return leaks;
}

}  // namespace spool::testing
