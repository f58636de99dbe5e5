#include "support/command.hpp"

#include <sys/wait.h>

#include <cstdio>

namespace spool::testing {

int run_command(const std::string& cmd, std::string* out) {
  FILE* pipe = ::popen(cmd.c_str(), "r");
  out->clear();
  char buf[4096];
  while (pipe && std::fgets(buf, sizeof buf, pipe)) *out += buf;
  int status = pipe ? ::pclose(pipe) : -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace spool::testing
