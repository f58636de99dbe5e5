// A worker for `send_release_email` jobs: renders the release email and hands it to an SMTP
// server when SMTP_HOST is set (SMTP_PORT, default 25), or logs it when not (development).
//
//   SPOOL_URL=http://127.0.0.1:7070 SMTP_HOST=localhost SMTP_PORT=1025 send_release_email
//
// Outcomes: sent -> ack with the relay's reply as the result; a bad payload or a 5xx reply from
// the relay -> Permanent (straight to the dead-letter queue, no retry can fix it); a relay that is
// down or answers 4xx -> Retry (exponential backoff). SIGTERM finishes the emails in flight.
// --once exits after the first job it finished (the examples' smoke test uses it).
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "smtp.hpp"
#include "spool/worker.hpp"

namespace {

namespace json = boost::json;

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::string dollars(std::int64_t cents) {
  std::string fraction = std::to_string(cents % 100);
  if (fraction.size() < 2) fraction = "0" + fraction;
  return "$" + std::to_string(cents / 100) + "." + fraction;
}

// The payload is {transactionId, recipientEmail, amount (cents)}; anything else is a bug in the
// producer, so it is permanent: retrying the same payload would fail the same way.
example::Mail render(const spool::Job& job) {
  const json::object* p = job.payload().if_object();
  const json::value* id = p ? p->if_contains("transactionId") : nullptr;
  const json::value* to = p ? p->if_contains("recipientEmail") : nullptr;
  const json::value* amount = p ? p->if_contains("amount") : nullptr;
  if (!id || !id->is_string() || !to || !to->is_string() || !amount || !amount->is_int64()) {
    throw spool::Permanent(
        "payload must be {transactionId: string, recipientEmail: string, amount: cents}");
  }
  std::string transaction(id->get_string());
  example::Mail mail;
  mail.from = env_or("MAIL_FROM", "payments@example.com");
  mail.to = std::string(to->get_string());
  mail.subject = "Your payment " + transaction + " was released";
  mail.body = "Hello,\n\nThe payment " + transaction + " of " + dollars(amount->get_int64()) +
              " has been released to you.\n\n.\n(This line above is a lone dot, to show that "
              "the message is dot-stuffed.)\n";
  return mail;
}

}  // namespace

int main(int argc, char** argv) {
  bool once = argc > 1 && std::string_view(argv[1]) == "--once";
  auto client = spool::Client::create(spool::ClientOptions::from_env());
  if (!client) {
    std::cerr << "send_release_email: " << client.error().message << "\n";
    return 2;
  }
  spool::WorkerOptions options{.queues = {"send_release_email"}, .concurrency = 5};
  // With --once, the first finished job (whatever its outcome) stops the worker.
  std::atomic<spool::Worker*> stop_after_one{nullptr};
  auto finished = [&](auto&&...) {
    if (spool::Worker* w = stop_after_one.load()) w->stop();
  };
  options.on_success = finished;
  options.on_failure = finished;
  spool::Worker worker(*client, std::move(options));
  if (once) stop_after_one = &worker;

  std::string smtp_host = env_or("SMTP_HOST", "");
  example::SmtpServer smtp{smtp_host, env_or("SMTP_PORT", "25")};
  worker.handle("send_release_email", [&](spool::Job& job) -> spool::Outcome {
    example::Mail mail = render(job);
    if (smtp_host.empty()) {
      std::cout << "send_release_email: no SMTP_HOST set, so not sending; job " << job.id()
                << " attempt " << job.attempt() << " would send to " << mail.to << ":\n"
                << "Subject: " << mail.subject << "\n\n"
                << mail.body << std::flush;
      return json::value{{"sent", false}, {"to", mail.to}};
    }
    example::SmtpOutcome outcome = example::send_mail(smtp, mail);
    switch (outcome.kind) {
      case example::SmtpOutcome::Kind::kSent:
        return json::value{{"sent", true}, {"to", mail.to}, {"relay", outcome.detail}};
      case example::SmtpOutcome::Kind::kPermanent:
        return spool::Permanent(outcome.detail);
      case example::SmtpOutcome::Kind::kTransient:
        break;
    }
    return spool::Retry(outcome.detail);
  });

  auto ran = worker.run();
  if (!ran) {
    std::cerr << "send_release_email: " << ran.error().message << "\n";
    return 1;
  }
  return 0;
}
