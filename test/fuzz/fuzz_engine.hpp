// A real engine for fuzz targets that run handlers: a SQLite store in a temp dir of its own
// (/dev/shm/spool-fuzz-* or $TMPDIR/spool-fuzz-*, removed at exit), the manual clock, no threads
// (run_once drives it, so a run is one thread and deterministic for a given input). Header-only;
// one per process.
#pragma once

#include <unistd.h>

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
    std::string tmpl = (base / "spool-fuzz-XXXXXX").string();
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
  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace spool::fuzz
