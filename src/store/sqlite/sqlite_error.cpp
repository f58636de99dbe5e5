#include "store/sqlite/sqlite_error.hpp"

#include <sqlite3.h>

#include <string>

namespace spool::store::sqlite {

std::string_view sqlite_code_name(int rc) {
  switch (rc) {
    case SQLITE_IOERR_READ:
      return "SQLITE_IOERR_READ";
    case SQLITE_IOERR_SHORT_READ:
      return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_IOERR_WRITE:
      return "SQLITE_IOERR_WRITE";
    case SQLITE_IOERR_FSYNC:
      return "SQLITE_IOERR_FSYNC";
    case SQLITE_IOERR_TRUNCATE:
      return "SQLITE_IOERR_TRUNCATE";
    case SQLITE_IOERR_NOMEM:
      return "SQLITE_IOERR_NOMEM";
    case SQLITE_READONLY_DBMOVED:
      return "SQLITE_READONLY_DBMOVED";
    case SQLITE_BUSY_SNAPSHOT:
      return "SQLITE_BUSY_SNAPSHOT";
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_ERROR:
      return "SQLITE_ERROR";
    case SQLITE_INTERNAL:
      return "SQLITE_INTERNAL";
    case SQLITE_PERM:
      return "SQLITE_PERM";
    case SQLITE_ABORT:
      return "SQLITE_ABORT";
    case SQLITE_BUSY:
      return "SQLITE_BUSY";
    case SQLITE_LOCKED:
      return "SQLITE_LOCKED";
    case SQLITE_NOMEM:
      return "SQLITE_NOMEM";
    case SQLITE_READONLY:
      return "SQLITE_READONLY";
    case SQLITE_INTERRUPT:
      return "SQLITE_INTERRUPT";
    case SQLITE_IOERR:
      return "SQLITE_IOERR";
    case SQLITE_CORRUPT:
      return "SQLITE_CORRUPT";
    case SQLITE_FULL:
      return "SQLITE_FULL";
    case SQLITE_CANTOPEN:
      return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL:
      return "SQLITE_PROTOCOL";
    case SQLITE_SCHEMA:
      return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG:
      return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT:
      return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH:
      return "SQLITE_MISMATCH";
    case SQLITE_MISUSE:
      return "SQLITE_MISUSE";
    case SQLITE_NOLFS:
      return "SQLITE_NOLFS";
    case SQLITE_NOTADB:
      return "SQLITE_NOTADB";
    default:
      return "SQLITE_UNKNOWN";
  }
}

Status sqlite_status(sqlite3* db, int rc, std::string_view doing, std::string_view path) {
  std::string_view what;
  StatusCode code = StatusCode::kUnavailable;
  switch (rc & 0xff) {
    case SQLITE_FULL:
      what = "the store's disk is full";
      break;
    case SQLITE_IOERR:
      what = "the store hit an I/O error";
      break;
    case SQLITE_READONLY:
      what = "the store's file is read-only";
      break;
    case SQLITE_PERM:
      what = "the store's file is not accessible (permission denied)";
      break;
    case SQLITE_CANTOPEN:
      what = "the store's file cannot be opened";
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      what = "the store's file is locked by another connection";
      break;
    case SQLITE_NOMEM:
      what = "the store ran out of memory";
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      what = "the store's file is corrupt or not a SQLite database";
      break;
    case SQLITE_NOLFS:
      what = "the store's file is too large for this file system";
      break;
    case SQLITE_PROTOCOL:
      what = "the store's file lock protocol failed";
      break;
    default:
      what = "internal store error";
      code = StatusCode::kInternal;
      break;
  }
  std::string message(what);
  message += " (";
  message += sqlite_code_name(rc);
  message += ") ";
  message += doing;
  message += ' ';
  message += path;
  // SQLite's own text adds detail for SQL and constraint errors ("no such column: x"); for the
  // environment errors it only repeats the code, so it is left out there.
  if (code == StatusCode::kInternal && db != nullptr) {
    message += ": ";
    message += sqlite3_errmsg(db);
  }
  return Status(code, std::move(message));
}

}  // namespace spool::store::sqlite
