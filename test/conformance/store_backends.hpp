// The Store backends the conformance suite runs against. Each is a factory type: it owns
// whatever the backend needs (a temp dir, a Redis database) and opens a Store on it, as many
// times as a test asks (a second open is a restart).
//
// Adding a backend: write a struct like SqliteBackend (name(), open(bounds)), add it to
// StoreBackends; every case of every test/conformance/*_test.cpp then runs against it
// (store_fixture.hpp). A backend that cannot run a case skips it with GTEST_SKIP() and says why.
// Threading: tests call the Store from one thread, like the engine thread the Store expects;
// reader_test.cpp also reads through StoreReaders from other threads.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace spool::store::conformance {

// SQLite on a real file in a fresh temp dir (not :memory:, so WAL and reopen are exercised).
struct SqliteBackend {
  static std::string name() { return "Sqlite"; }
  // `bounds`: the read bounds to open with (store.hpp ReadBounds; smaller ones are a test seam).
  StatusOr<std::unique_ptr<Store>> open(const ReadBounds& bounds = {}) {
    SqliteOptions options{dir.file("spool.db"), Durability::kFast, 0};
    options.bounds = bounds;
    return open_sqlite_store(options);
  }
  spool::testing::TempDir dir;
};

using StoreBackends = ::testing::Types<SqliteBackend>;

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::name();
  }
};

}  // namespace spool::store::conformance
