// Maps SQLite result codes to spool::Status. Pure functions; no threading concerns.
//
// The rule (API.md: "a full disk or an unwritable store answers 503"): anything about the
// environment (disk full, I/O error, read-only file, locked or corrupt file, out of memory) is
// kUnavailable, because nothing was accepted and retrying later may succeed. Anything else
// (bad SQL, misuse, a broken constraint) is our bug: kInternal.
#pragma once

#include <string_view>

#include "core/status.hpp"

struct sqlite3;

namespace spool::store::sqlite {

// A Status for `rc` that says what happened, why, and to which file:
// "the store's disk is full (SQLITE_FULL) writing /data/spool.db".
// `doing` is a gerund phrase ("writing", "committing", "opening"); `db` may be null.
Status sqlite_status(sqlite3* db, int rc, std::string_view doing, std::string_view path);

// The symbolic name of a (possibly extended) result code: "SQLITE_IOERR_WRITE".
std::string_view sqlite_code_name(int rc);

}  // namespace spool::store::sqlite
