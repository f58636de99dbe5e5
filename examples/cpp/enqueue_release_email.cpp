// Enqueues one `send_release_email` job, the way a web back end does when a partner releases an
// escrow payment. The dedupe key makes a retried request harmless: the second enqueue within the
// window answers with the first job's id instead of queueing a second email.
//
//   enqueue_release_email esc-123 buyer@example.com 125000
#include <cstdlib>
#include <iostream>
#include <string>

#include "spool/client.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: enqueue_release_email TRANSACTION_ID RECIPIENT_EMAIL AMOUNT_CENTS\n";
    return 2;
  }
  auto client = spool::Client::create(spool::ClientOptions::from_env());
  if (!client) {
    std::cerr << "enqueue_release_email: " << client.error().message << "\n";
    return 2;
  }
  std::string transaction = argv[1];
  spool::NewJob job{
      .type = "send_release_email",
      .payload = {{"transactionId", transaction},
                  {"recipientEmail", argv[2]},
                  {"amount", std::strtoll(argv[3], nullptr, 10)}},
      .dedupe_key = "escrow-" + transaction + "-release",
      .max_attempts = 3,
      .backoff = spool::Backoff{.base = std::chrono::seconds(2)},
  };
  auto enqueued = client->enqueue(job);
  if (!enqueued) {
    std::cerr << "enqueue_release_email: " << enqueued.error().code << ": "
              << enqueued.error().message << "\n";
    return 1;
  }
  std::cout << enqueued->id << (enqueued->deduplicated ? " (already queued)" : "") << "\n";
  return 0;
}
