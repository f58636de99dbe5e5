// FileLock: one process at a time writes a SQLite store. Two `spool serve` on one file would
// each keep their own counts, caps and rate windows in memory and each hand out the same queued
// jobs to its own workers (SQLite's own locks serialise their transactions, nothing more). So
// opening a store takes an exclusive flock(2) on "<file>.lock" beside it and keeps it while
// the store is open; the kernel drops it when the process ends, however it ends (kill -9
// included), so a crash never leaves a stale lock behind. The lock file holds the owner's pid,
// for the message the second server prints.
//
// Ownership: owns the lock file's descriptor; moving transfers the lock. Threading: none needed
// (taken once at open, released at destruction).
#pragma once

#include <string>

#include "core/status.hpp"

namespace spool::store::sqlite {

class FileLock {
 public:
  // Locks `db_path` + ".lock". kUnavailable when another process holds it (the message names
  // that process's pid and what to do) or when the lock file cannot be created.
  static StatusOr<FileLock> acquire(const std::string& db_path);

  FileLock() = default;
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace spool::store::sqlite
