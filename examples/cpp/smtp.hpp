// A minimal SMTP submission client (plain text, no TLS, no auth): enough to hand a message to a
// local relay or a development mail catcher (e.g. Postfix on localhost:25, MailHog on :1025).
// One function, no state; safe from any thread.
#pragma once

#include <chrono>
#include <string>

namespace example {

struct SmtpServer {
  std::string host;
  std::string port = "25";
  std::chrono::seconds timeout{30};
};

struct Mail {
  std::string from;
  std::string to;
  std::string subject;
  std::string body;  // plain text; lines end in \n
};

struct SmtpOutcome {
  enum class Kind { kSent, kTransient, kPermanent };
  Kind kind = Kind::kSent;
  std::string detail;  // the server's last reply, or what went wrong
};

// Transient: the connection failed or the server answered 4xx (try again later).
// Permanent: the server answered 5xx (a bad address, a refused sender: retrying will not help).
SmtpOutcome send_mail(const SmtpServer& server, const Mail& mail);

}  // namespace example
