#include "smtp.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <sstream>

namespace example {

namespace {

struct Reply {
  int code = 0;  // 0: the connection failed or the reply was unreadable
  std::string text;
};

// A reply is one or more lines "250-..." ending with "250 ...".
Reply read_reply(boost::asio::ip::tcp::iostream& stream) {
  Reply reply;
  std::string line;
  while (std::getline(stream, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    reply.text = line;
    if (line.size() < 3) return {};
    if (line.size() == 3 || line[3] == ' ') {
      reply.code = std::atoi(line.substr(0, 3).c_str());
      return reply;
    }
  }
  return {0, stream.error() ? stream.error().message() : "connection closed"};
}

std::string dot_stuffed(const std::string& body) {
  std::istringstream in(body);
  std::string out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '.') out += '.';
    out += line + "\r\n";
  }
  return out;
}

SmtpOutcome judge(const Reply& reply, int expected_class, const std::string& step) {
  if (reply.code / 100 == expected_class) return {SmtpOutcome::Kind::kSent, reply.text};
  std::string detail = step + ": " + (reply.code ? reply.text : "no reply (" + reply.text + ")");
  if (reply.code >= 500) return {SmtpOutcome::Kind::kPermanent, detail};
  return {SmtpOutcome::Kind::kTransient, detail};
}

}  // namespace

SmtpOutcome send_mail(const SmtpServer& server, const Mail& mail) {
  boost::asio::ip::tcp::iostream stream;
  stream.expires_after(server.timeout);
  stream.connect(server.host, server.port);
  if (!stream) {
    return {SmtpOutcome::Kind::kTransient, "cannot connect to " + server.host + ":" + server.port +
                                               ": " + stream.error().message()};
  }
  auto step = [&](const std::string& command, int expected_class, const std::string& name) {
    if (!command.empty()) stream << command << "\r\n" << std::flush;
    return judge(read_reply(stream), expected_class, name);
  };
  SmtpOutcome outcome = step("", 2, "greeting");
  if (outcome.kind == SmtpOutcome::Kind::kSent) outcome = step("EHLO spool-example", 2, "EHLO");
  if (outcome.kind == SmtpOutcome::Kind::kSent) {
    outcome = step("MAIL FROM:<" + mail.from + ">", 2, "MAIL FROM");
  }
  if (outcome.kind == SmtpOutcome::Kind::kSent) {
    outcome = step("RCPT TO:<" + mail.to + ">", 2, "RCPT TO");
  }
  if (outcome.kind == SmtpOutcome::Kind::kSent) outcome = step("DATA", 3, "DATA");
  if (outcome.kind == SmtpOutcome::Kind::kSent) {
    std::string message =
        "From: " + mail.from + "\r\nTo: " + mail.to + "\r\nSubject: " + mail.subject +
        "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + dot_stuffed(mail.body) + ".";
    outcome = step(message, 2, "end of DATA");
  }
  stream << "QUIT\r\n" << std::flush;
  return outcome;
}

}  // namespace example
