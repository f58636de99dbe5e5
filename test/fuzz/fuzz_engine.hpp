// A real engine for fuzz targets that run handlers: a SQLite store in a temp dir of its own
// (/dev/shm/spool-fuzz-PID-* or $TMPDIR/spool-fuzz-PID-*, removed at exit, or by a later run when
// this one crashed) and the manual clock. The engine runs no threads of its own (run_once drives
// it on the caller's); only the store's WAL checkpointer has one, which changes no answer. What
// an input does is the same on every run, but for job ids and lease tokens, which come from the
// OS's random source by design. Header-only; one per process.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "engine/engine.hpp"
#include "fuzz_check.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace spool::fuzz {

class FuzzEngine {
 public:
  FuzzEngine() {
    // tmpfs when there is one and TMPDIR does not say otherwise: a fresh database per input
    // costs a third of what it does on a disk, where SQLite's syncs are real.
    std::filesystem::path base = std::filesystem::temp_directory_path();
    if (!std::getenv("TMPDIR") && ::access("/dev/shm", W_OK) == 0) base = "/dev/shm";
    remove_stale(base);
    std::string tmpl = (base / ("spool-fuzz-" + std::to_string(::getpid()) + "-XXXXXX")).string();
    FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr, "no temp dir");
    dir_ = tmpl;
    reopen();
  }
  ~FuzzEngine() {
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A new, empty database: each input starts from the same state.
  void reopen() {
    engine_.reset();
    std::error_code ec;
    for (const char* f : {"spool.db", "spool.db-wal", "spool.db-shm"}) {
      std::filesystem::remove(dir_ / f, ec);
    }
    clock_.set_ms(1'764'000'000'000);
    store::SqliteOptions options;
    options.path = (dir_ / "spool.db").string();
    auto store = store::open_sqlite_store(options);
    FUZZ_CHECK(store.has_value(), "the store did not open");
    engine::EngineOptions eo;
    eo.seed = 17;
    engine_ = std::make_unique<engine::Engine>(std::move(*store), clock_, eo);
  }

  engine::Engine& engine() { return *engine_; }
  ManualClock& clock() { return clock_; }

 private:
  // libFuzzer ends a run that crashed at once, without destructors: a dir whose process is gone
  // is removed by the next run (a live one's, as in -fork=N, is left alone).
  static void remove_stale(const std::filesystem::path& base) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("spool-fuzz-", 0) != 0) continue;
      const int pid = std::atoi(name.c_str() + 11);
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
        std::filesystem::remove_all(entry.path(), ec);
      }
    }
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace spool::fuzz
