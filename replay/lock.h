#pragma once
// One replay at a time per journal: an exclusive flock on JOURNAL.replay-lock (mode 0600),
// held for the whole run and released by the kernel if the process dies, so a kill -9 never
// leaves a stale lock. Recording does not take it.
#include <string>

#include "glassbox/status.h"

namespace glassbox::replay {

class ReplayLock {
 public:
  // Busy when another process holds it.
  static Result<ReplayLock> Acquire(const std::string& journal_path);
  static std::string PathFor(const std::string& journal_path);
  ReplayLock(ReplayLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ReplayLock& operator=(ReplayLock&&) = delete;
  ReplayLock(const ReplayLock&) = delete;
  ~ReplayLock();

 private:
  explicit ReplayLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace glassbox::replay
