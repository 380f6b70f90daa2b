// Recovery of a damaged journal: move aside, salvage, start fresh (see recovery.h).
#include "journal/recovery.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/files.h"
#include "base/ids.h"
#include "journal/salvage.h"

namespace glassbox::journal {
namespace {

// An exclusive flock on the journal's directory: one recovery at a time, and none while
// another process is between judging a file damaged and moving it.
class DirLock {
 public:
  DirLock() = default;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  Status Acquire(const std::string& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) return Status::IoError(dir + ": " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) return Status::IoError(dir + ": lock: " + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// journal.db.corrupt-20261126T104422Z (with -N appended if that name is taken).
std::string AsideName(const std::string& path) {
  std::string stamp;
  for (char c : base::Rfc3339(base::Clock::now()).substr(0, 19)) {
    if (c != '-' && c != ':') stamp.push_back(c);
  }
  std::string name = path + ".corrupt-" + stamp + "Z";
  for (int n = 1; Exists(name) || Exists(name + "-wal"); ++n) {
    name = path + ".corrupt-" + stamp + "Z-" + std::to_string(n);
  }
  return name;
}

// Renames the journal and its WAL (the salvage reads both); the shared-memory index is
// rebuilt from the WAL, so it goes.
Status MoveAside(const std::string& path, std::string* moved_to) {
  *moved_to = AsideName(path);
  if (::rename(path.c_str(), moved_to->c_str()) != 0) {
    return Status::IoError(path +
                           ": cannot move the damaged journal aside: " + std::strerror(errno));
  }
  ::chmod(moved_to->c_str(), 0600);
  if (Exists(path + "-wal") &&
      ::rename((path + "-wal").c_str(), (*moved_to + "-wal").c_str()) == 0) {
    ::chmod((*moved_to + "-wal").c_str(), 0600);
  }
  ::unlink((path + "-shm").c_str());
  return Status::Ok();
}

Status Rebuild(const Options& options, const detail::Salvage& salvage, RecoveryReport* report) {
  auto fresh = Journal::Open(options);
  if (!fresh.ok()) return fresh.status();
  GLASSBOX_RETURN_IF_ERROR(detail::WriteSalvage(*fresh.value(), salvage));
  LedgerEntry entry;
  entry.at = base::Rfc3339(base::Clock::now());
  entry.kind = "recovery";
  entry.destination = report->moved_to;
  entry.events = report->salvaged_events;
  entry.result = report->Summary();
  GLASSBOX_RETURN_IF_ERROR(fresh.value()->AppendLedger(entry));
  // The salvaged install id replaced the one the fresh journal was created with.
  auto id = fresh.value()->GetMeta("install_id");
  if (id.ok()) detail::WriteIdentity(fresh.value()->path(), id.value());
  return Status::Ok();
}

}  // namespace

std::string RecoveryReport::Summary() const {
  if (reason.empty()) return "no recovery";
  return "damaged (" + reason + "); moved aside to " + moved_to + "; salvaged " +
         std::to_string(salvaged_events) + " event(s), " + std::to_string(unreadable) +
         " unreadable part(s)" + (meta_salvaged ? "" : "; install id and consent not salvaged");
}

FileId FileId::Of(const std::string& path) {
  struct stat st {};
  FileId id;
  if (::stat(path.c_str(), &st) != 0) return id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.exists = true;
  return id;
}

bool IsDamage(const Status& status) { return status.code() == StatusCode::kCorruption; }

Status Recover(const Options& options, const std::string& reason, const FileId& judged,
               RecoveryReport* report) {
  *report = RecoveryReport();
  std::string path = options.path.empty() ? DefaultJournalPath() : options.path;
  DirLock lock;
  GLASSBOX_RETURN_IF_ERROR(lock.Acquire(base::DirName(path)));
  if (!(FileId::Of(path) == judged) || !judged.exists) return Status::Ok();  // done by another
  report->reason = reason;
  auto own_id = base::ReadFile(path + ".id", 256);
  std::string id = own_id.ok() ? own_id.value() : "";
  if (!id.empty() && id.back() == '\n') id.pop_back();
  GLASSBOX_RETURN_IF_ERROR(MoveAside(path, &report->moved_to));
  detail::Salvage salvage;
  detail::ReadDamaged(report->moved_to, id, &salvage);
  report->salvaged_events = static_cast<int64_t>(salvage.events.size());
  report->unreadable = salvage.unreadable;
  report->meta_salvaged = salvage.meta_ok;
  return Rebuild(options, salvage, report);
}

Result<std::unique_ptr<Journal>> OpenOrRecover(const Options& options, RecoveryReport* report) {
  *report = RecoveryReport();
  std::string path = options.path.empty() ? DefaultJournalPath() : options.path;
  FileId before = FileId::Of(path);
  auto journal = Journal::Open(options);
  if (journal.ok() || options.read_only || !IsDamage(journal.status())) return journal;
  GLASSBOX_RETURN_IF_ERROR(Recover(options, journal.status().message(), before, report));
  return Journal::Open(options);
}

}  // namespace glassbox::journal
