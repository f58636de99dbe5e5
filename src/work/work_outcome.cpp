// See work_outcome.hpp.
#include "work_outcome.hpp"

#include <boost/json/parse.hpp>
#include <string_view>

namespace spool::work {
namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// Drops a multi-byte character cut off at the end by the output limit.
std::string_view without_cut_character(std::string_view text) {
  for (std::size_t back = 1; back <= 3 && back <= text.size(); ++back) {
    auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead
    std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    return length > back ? text.substr(0, text.size() - back) : text;
  }
  return text;
}

std::string failure_message(const ProcessOutcome& outcome) {
  std::string message = describe(outcome);
  if (outcome.end == ProcessEnd::kExited) {
    switch (outcome.exit_code) {
      case kExitUsageError:
        message += " (EX_USAGE)";
        break;
      case kExitDataError:
        message += " (EX_DATAERR)";
        break;
      case kExitTempFail:
        message += " (EX_TEMPFAIL)";
        break;
      default:
        break;
    }
  }
  std::string_view tail = trim(outcome.error_tail);
  if (!tail.empty()) {
    bool cut = outcome.error_bytes > outcome.error_tail.size();
    message += ": ";
    if (cut) message += "...";
    message += sanitize_utf8(tail);
  }
  return message;
}

}  // namespace

JobVerdict judge(const ProcessOutcome& outcome) {
  JobVerdict verdict;
  if (outcome.end != ProcessEnd::kExited || outcome.exit_code != 0) {
    bool permanent = outcome.end == ProcessEnd::kExited &&
                     (outcome.exit_code == kExitDataError || outcome.exit_code == kExitUsageError);
    verdict.kind = permanent ? JobVerdict::Kind::kPermanent : JobVerdict::Kind::kRetry;
    verdict.message = failure_message(outcome);
    return verdict;
  }

  verdict.kind = JobVerdict::Kind::kAck;
  if (outcome.output_truncated()) {
    verdict.result = boost::json::value(sanitize_utf8(without_cut_character(outcome.output)));
    verdict.note = "stdout was " + std::to_string(outcome.output_bytes) +
                   " bytes; the result is its first " + std::to_string(outcome.output.size()) +
                   " as a string";
    return verdict;
  }
  std::string_view text = trim(outcome.output);
  if (text.empty()) return verdict;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(text, ec);
  if (!ec) {
    verdict.result = std::move(parsed);
  } else {
    verdict.result = boost::json::value(sanitize_utf8(text));
  }
  return verdict;
}

}  // namespace spool::work
