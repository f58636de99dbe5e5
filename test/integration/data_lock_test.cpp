// One server per data folder: a second `spool serve` on a folder in use stops at once with a
// message that says why and what to do, and the first goes on serving untouched. (Two servers
// on one SQLite file would each hand out the same queued jobs to their own workers.)
#include <gtest/gtest.h>

#include <string>

#include "support/command.hpp"
#include "support/http.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace spool::testing {
namespace {

TEST(DataLockTest, ASecondServerOnAFolderInUseIsRefusedAndTheFirstKeepsServing) {
  TempDir dir;
  ServerProcess first({dir.file("data"), {}, {}});
  HttpConnection client("127.0.0.1", first.port());
  auto enqueued = client.request("POST", "/v1/jobs", R"({"type":"t","payload":{}})");
  ASSERT_EQ(enqueued.status, 202) << enqueued.body;

  std::string out;
  // Any port: the refusal comes before the listener.
  int rc = run_command("timeout 20 " + spool_binary() + " serve --data " + dir.file("data") +
                           " --listen 127.0.0.1:0 2>&1",
                       &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(
      out.find("is in use by another spool process (pid " + std::to_string(first.pid()) + ")"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("give this one a --data folder of its own"), std::string::npos) << out;

  auto stats = client.request("GET", "/v1/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_NE(stats.body.find("\"queued\":1"), std::string::npos) << stats.body;
}

}  // namespace
}  // namespace spool::testing
