#include "replay/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace glassbox::replay {

std::string ReplayLock::PathFor(const std::string& journal_path) {
  return journal_path + ".replay-lock";
}

Result<ReplayLock> ReplayLock::Acquire(const std::string& journal_path) {
  std::string path = PathFor(journal_path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return Status::Busy("another replay is running on this journal");
    return Status::IoError(path + ": " + std::strerror(err));
  }
  return ReplayLock(fd);
}

ReplayLock::~ReplayLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace glassbox::replay
