// `spool backup FILE`: a consistent copy of the SQLite store, safe while `spool serve` runs
// (SQLite's online backup API; see store/sqlite/sqlite_store.hpp). Single-threaded.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>

#include "cli/commands.hpp"
#include "cli/exit.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace spool::cli {
namespace {

namespace fs = std::filesystem;

struct BackupCommand {
  std::string file;
  std::string data_dir = "./spool-data";
  bool force = false;
};

std::string human_size(std::uintmax_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

void run_backup(const BackupCommand& cmd) {
  fs::path db = fs::path(cmd.data_dir) / "spool.db";
  std::error_code ec;
  if (!fs::is_regular_file(db, ec)) {
    fail(kExitUsage, "no database at " + db.string() +
                         ". Pass --data with the folder `spool serve --data` uses.");
  }
  // A backup is what someone reaches for on a bad day; silently replacing an older one could
  // destroy the only good copy.
  if (fs::exists(cmd.file, ec) && !cmd.force) {
    fail(kExitUsage,
         cmd.file + " already exists; choose another name or pass --force to replace it");
  }
  fs::path parent = fs::path(cmd.file).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    fail(kExitUsage,
         "cannot write " + cmd.file + ": the folder " + parent.string() + " does not exist");
  }
  if (cmd.force) fs::remove(cmd.file, ec);

  StatusOr<void> done = store::backup_sqlite(db.string(), cmd.file);
  if (!done) fail(kExitRefused, "backup of " + db.string() + " failed: " + done.error().message());

  std::uintmax_t size = fs::file_size(cmd.file, ec);
  std::cout << "wrote " << cmd.file << " (" << (ec ? std::string("size unknown") : human_size(size))
            << "), a consistent copy of " << db.string() << "\n";
  // The same steps as docs/storage.md "Backup and restore", in its order.
  std::cout << "to restore: stop `spool serve`, copy " << cmd.file << " over " << db.string()
            << ", delete " << db.string() << "-wal and -shm, start again (docs/storage.md)\n";
}

}  // namespace

void add_backup_command(CLI::App& app) {
  auto cmd = std::make_shared<BackupCommand>();
  CLI::App* sub = app.add_subcommand(
      "backup", "Copy the SQLite store to FILE; safe while `spool serve` is running");
  sub->add_option("FILE", cmd->file, "Where to write the copy")->required();
  sub->add_option("--data", cmd->data_dir, "The server's data folder (as `spool serve --data`)")
      ->capture_default_str();
  sub->add_flag("--force", cmd->force, "Replace FILE if it exists");
  sub->footer(
      "Example:\n"
      "  spool backup /backups/spool-$(date +%F).db --data /var/lib/spool");
  sub->callback([cmd] { run_backup(*cmd); });
}

}  // namespace spool::cli
