#include "http/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace spool::http {
namespace {

std::array<unsigned char, 32> sha256(std::string_view s) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
  return out;
}

constexpr std::array<Role, 4> kRoles = {Role::kAdmin, Role::kProducer, Role::kWorker,
                                        Role::kReader};

// "Bearer <token>"; the scheme is case-insensitive (RFC 7235), surrounding spaces tolerated.
std::optional<std::string_view> bearer_token(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer";
  if (h.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = h[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  if (h[kScheme.size()] != ' ') return std::nullopt;
  h.remove_prefix(kScheme.size() + 1);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  if (h.empty()) return std::nullopt;
  return h;
}

}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : kRoles) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kProducer:
      return "producer";
    case Role::kWorker:
      return "worker";
    case Role::kReader:
      return "reader";
  }
  return "admin";
}

std::string describe_roles_needed(RoleSet roles) {
  std::string out = "the ";
  for (Role r : kRoles) {
    if (r == Role::kAdmin || !(roles & role_bit(r))) continue;
    out += to_string(r);
    out += " or ";
  }
  out += "admin role";
  return out;
}

Authenticator::Authenticator(const std::vector<TokenSpec>& tokens) {
  entries_.reserve(tokens.size());
  for (const auto& t : tokens) entries_.push_back({sha256(t.token), t.roles});
}

std::optional<RoleSet> Authenticator::roles_of(std::string_view header) const {
  auto token = bearer_token(header);
  if (!token) return std::nullopt;
  // Fixed-length digests compared with CRYPTO_memcmp, and every entry is visited, so the time
  // taken says nothing about how much of a token matched or which entry did.
  const auto digest = sha256(*token);
  RoleSet roles = 0;
  bool found = false;
  for (const auto& e : entries_) {
    bool match = CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0;
    roles |= match ? e.roles : 0;
    found |= match;
  }
  if (!found) return std::nullopt;
  return roles;
}

Status Authenticator::check(std::string_view header, const Access& access) const {
  RoleSet ignored = 0;
  return check(header, access, &ignored);
}

Status Authenticator::check(std::string_view header, const Access& access, RoleSet* roles) const {
  *roles = 0;
  if (access.is_public) return {};
  if (!enabled()) {
    *roles = kAllRoles;
    return {};
  }
  if (header.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "this endpoint needs a token: send Authorization: Bearer <token>");
  }
  auto token_roles = roles_of(header);
  if (!token_roles) {
    return Status(StatusCode::kUnauthenticated,
                  "the bearer token is missing, malformed or not known to this server");
  }
  if ((*token_roles & role_bit(Role::kAdmin)) || (*token_roles & access.roles)) {
    *roles = *token_roles;
    return {};
  }
  return Status(StatusCode::kPermissionDenied,
                "this endpoint needs " + describe_roles_needed(access.roles));
}

}  // namespace spool::http
