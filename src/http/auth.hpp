// Bearer-token authentication and the role each endpoint needs (API.md "Auth").
//
// Ownership and threading: an Authenticator is built once at start from the configured tokens
// and is immutable afterwards, so any io thread may call it concurrently. It keeps only SHA-256
// digests of the tokens, never the tokens themselves, and compares digests in constant time, so
// neither timing nor a memory dump gives a token away.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace spool::http {

// A set of roles as bits. admin may do everything; the others are additive.
enum class Role : std::uint8_t {
  kAdmin = 1,
  kProducer = 2,
  kWorker = 4,
  kReader = 8,
};
using RoleSet = std::uint8_t;
inline constexpr RoleSet role_bit(Role r) { return static_cast<RoleSet>(r); }
inline constexpr RoleSet kAllRoles = 15;

std::optional<Role> parse_role(std::string_view name);  // "admin", "producer", ...
std::string_view to_string(Role role);

// The roles that may call an endpoint; admin is always allowed. Public endpoints need none.
struct Access {
  bool is_public = false;
  RoleSet roles = 0;  // any one of these suffices (admin implied)
};

struct TokenSpec {
  std::string token;
  RoleSet roles = 0;
};

class Authenticator {
 public:
  // No tokens => auth is off: every request is treated as admin (the caller makes sure the
  // server then listens on loopback only).
  explicit Authenticator(const std::vector<TokenSpec>& tokens);

  bool enabled() const { return !entries_.empty(); }

  // Checks the Authorization header value against `access`. OK, or kUnauthenticated (no or
  // unknown token) or kPermissionDenied (message names the role needed).
  Status check(std::string_view authorization_header, const Access& access) const;
  // As above, and on success sets *roles to the caller's roles: the token's, kAllRoles with auth
  // off, 0 on a public endpoint (not looked at).
  Status check(std::string_view authorization_header, const Access& access, RoleSet* roles) const;

  // The roles of a bearer header: nullopt when missing, malformed or unknown.
  std::optional<RoleSet> roles_of(std::string_view authorization_header) const;

 private:
  struct Entry {
    std::array<unsigned char, 32> digest;
    RoleSet roles;
  };
  std::vector<Entry> entries_;
};

// "the producer or admin role": for 403 messages.
std::string describe_roles_needed(RoleSet roles);

}  // namespace spool::http
