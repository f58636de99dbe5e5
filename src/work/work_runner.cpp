// `spool work`: the worker. A spool::Worker with one handler for every job type, which runs the
// program (process_runner.hpp) and turns how it ended into the job's outcome (work_outcome.hpp).
// The Worker does the rest: reserving, renewing leases while the program runs, settling,
// reconnecting, and the graceful shutdown on SIGTERM/SIGINT.
//
// Includes only the public spool/ headers and this module's own (src/CMakeLists.txt keeps it so).
//
// Threading: handlers run on the Worker's threads, `concurrency` at once; each blocks in
// run_process() for its program. The log sink is shared by all of them and writes a line at once.
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "process_runner.hpp"
#include "spool/client.hpp"
#include "spool/worker.hpp"
#include "work.hpp"
#include "work_outcome.hpp"

namespace spool::work {
namespace {

using Clock = std::chrono::steady_clock;

std::string utc_now() {
  auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto day = std::chrono::floor<std::chrono::days>(now);
  std::chrono::year_month_day date(day);
  std::chrono::hh_mm_ss time(now - day);
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
  return text;
}

// "<UTC time> <LEVEL> spool work: <text>" on stderr, one write(2) per line so lines of
// different handler threads never interleave. Used for the Worker's own lines too.
void write_line(LogLevel level, std::string_view text) {
  std::string line = utc_now();
  line += ' ';
  line += log_level_name(level);
  line += " spool work: ";
  line += text;
  line += '\n';
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

// A log value: as it is when it is one plain word, else in double quotes with \ " and control
// characters escaped, so a line stays one line and splits on spaces.
std::string quoted(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '\\' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      plain = false;
    }
  }
  if (plain) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The program's stderr, copied to the log a line at a time as it arrives.
class StderrLines {
 public:
  explicit StderrLines(std::string prefix) : prefix_(std::move(prefix)) {}
  ~StderrLines() { flush(); }
  StderrLines(const StderrLines&) = delete;
  StderrLines& operator=(const StderrLines&) = delete;

  void add(std::string_view chunk) {
    pending_.append(chunk);
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      emit(std::string_view(pending_).substr(start, nl - start));
    }
    pending_.erase(0, start);
    if (pending_.size() > kLongestLine) {  // a program that never ends its line
      emit(pending_);
      pending_.clear();
    }
  }
  void flush() {
    if (!pending_.empty()) emit(pending_);
    pending_.clear();
  }

 private:
  static constexpr std::size_t kLongestLine = 8 * 1024;
  void emit(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    write_line(LogLevel::kInfo, prefix_ + sanitize_utf8(line));
  }
  std::string prefix_;
  std::string pending_;
};

std::string attempt_of(const Job& job) {
  return std::to_string(job.attempt()) + "/" + std::to_string(job.max_attempts());
}

std::string took_ms(Clock::duration took) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
}

Outcome run_job(const WorkSettings& settings, Job& job) {
  ProcessSpec spec;
  spec.argv = settings.argv;
  spec.env = {{"SPOOL_JOB_ID", job.id()},
              {"SPOOL_JOB_TYPE", job.type()},
              {"SPOOL_QUEUE", job.queue()},
              {"SPOOL_ATTEMPT", std::to_string(job.attempt())},
              {"SPOOL_MAX_ATTEMPTS", std::to_string(job.max_attempts())}};
  spec.input = boost::json::serialize(job.payload());
  spec.timeout = settings.timeout;
  spec.kill_grace = settings.kill_grace;
  std::optional<StderrLines> lines;
  if (!settings.quiet) {
    lines.emplace("job=" + job.id() + " stderr: ");
    spec.on_stderr = [&lines](std::string_view chunk) { lines->add(chunk); };
  }

  ProcessOutcome outcome = run_process(spec, job.stop_token());
  if (lines) lines->flush();
  JobVerdict verdict = judge(outcome);

  std::string about = "job=" + job.id() + " type=" + job.type() + " queue=" + job.queue() +
                      " attempt=" + attempt_of(job) + " took_ms=" + took_ms(outcome.took);
  if (outcome.end == ProcessEnd::kStopped) {
    // The lease was lost (the job was cancelled, say) or the shutdown grace ran out: the Worker
    // does not settle what we return; the job is the server's again.
    write_line(LogLevel::kWarn,
               "event=job_stopped " + about + " how=" + quoted(describe(outcome)) +
                   " note=\"lease lost or shutdown grace over; not settled here\"");
    return Retry(verdict.message);
  }
  switch (verdict.kind) {
    case JobVerdict::Kind::kAck:
      if (!verdict.note.empty()) {
        write_line(LogLevel::kWarn,
                   "event=result_cut job=" + job.id() + " note=" + quoted(verdict.note));
      }
      if (!settings.quiet) write_line(LogLevel::kInfo, "event=job_done " + about);
      if (verdict.result) return Outcome(std::move(*verdict.result));
      return Outcome{};
    case JobVerdict::Kind::kPermanent:
      write_line(LogLevel::kWarn,
                 "event=job_failed kind=permanent " + about + " error=" + quoted(verdict.message));
      return Permanent(verdict.message);
    case JobVerdict::Kind::kRetry:
      break;
  }
  write_line(LogLevel::kWarn,
             "event=job_failed kind=retry " + about + " error=" + quoted(verdict.message));
  return Retry(verdict.message);
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace

int run_work(const WorkSettings& settings) {
  ClientOptions client_options;
  client_options.url = settings.url;
  client_options.token = settings.token;
  client_options.user_agent = "spool-work";
  Result<Client> client = Client::create(client_options);
  if (!client) {
    write_line(LogLevel::kError, "--url: " + client.error().message);
    return 2;
  }

  WorkerOptions options;
  options.queues = settings.queues;
  options.concurrency = settings.concurrency;
  options.prefetch = settings.prefetch;
  options.name = settings.name;
  options.lease = settings.lease;
  options.shutdown_grace = settings.shutdown_grace;
  options.handle_signals = true;
  options.log = [](LogLevel level, std::string_view text) {
    if (level != LogLevel::kDebug) write_line(level, text);
  };
  Worker worker(*client, options);
  // "*": every job type of these queues (worker.hpp); the program decides what a type means.
  worker.handle("*", [&settings](Job& job) { return run_job(settings, job); });

  write_line(LogLevel::kInfo, "event=started queues=" + joined(settings.queues, ",") +
                                  " exec=" + quoted(joined(settings.argv, " ")) +
                                  " concurrency=" + std::to_string(settings.concurrency) +
                                  " timeout_ms=" + std::to_string(settings.timeout.count()) +
                                  " url=" + client->options().url);
  Result<void> ran = worker.run();
  if (!ran) {
    std::string field = ran.error().field.empty() ? "" : " (" + ran.error().field + ")";
    write_line(LogLevel::kError, "cannot start: " + ran.error().message + field);
    return 2;
  }
  write_line(LogLevel::kInfo, "event=stopped");
  return 0;
}

}  // namespace spool::work
