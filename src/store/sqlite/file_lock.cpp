#include "store/sqlite/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace spool::store::sqlite {
namespace {

// The pid the holder wrote, or empty when the file holds none (it may be mid-write).
std::string holder_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return {};
  std::string pid(buf, static_cast<std::size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

StatusOr<FileLock> FileLock::acquire(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return error(StatusCode::kUnavailable,
                 "cannot create the lock file " + path + ": " + std::strerror(errno));
  }
  FileLock lock(fd);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) {
      return error(StatusCode::kUnavailable, "cannot lock " + path + ": " + std::strerror(err));
    }
    std::string pid = holder_pid(fd);
    return error(StatusCode::kUnavailable,
                 db_path + " is in use by another spool process" +
                     (pid.empty() ? std::string() : " (pid " + pid + ")") +
                     ": two servers on one file would hand out the same jobs twice. Stop "
                     "that one, or give this one a --data folder of its own");
  }
  // The pid is for the message above only; failing to write it loses nothing.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t written = pwrite(fd, pid.data(), pid.size(), 0);
  }
  return lock;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  // Closing the descriptor releases the flock; the file stays (removing it would race with a
  // second process that opened it a moment ago and is about to lock it).
  if (fd_ >= 0) close(fd_);
}

}  // namespace spool::store::sqlite
