#include "journal/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/digest.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/status_util.h"
#include "journal/block_codec.h"
#include "journal/journal_internal.h"
#include "journal/recovery.h"
#include "journal/salvage.h"
#include "journal/sqlite_util.h"

namespace glassbox::journal {
namespace {
using detail::ResetGuard;
using detail::Stmt;
using detail::Transaction;

// Refuses what a hostile neighbour could plant: a symlink, or a file another user can write.
// Messages name the file and the fix, never anything read from it.
Status CheckExistingFile(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Status::Ok();  // created below
  if (S_ISLNK(st.st_mode)) return Status::IoError(path + ": is a symlink; refusing to follow it");
  if (!S_ISREG(st.st_mode)) return Status::IoError(path + ": not a regular file");
  if (st.st_uid != ::geteuid()) return Status::IoError(path + ": owned by another user");
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return Status::IoError(path + ": writable by group or others; fix with chmod 600");
  }
  return Status::Ok();
}

// The journal and the files SQLite keeps beside it (a planted -wal symlink would otherwise be
// followed when SQLite creates the WAL).
Status CheckJournalFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    GLASSBOX_RETURN_IF_ERROR(CheckExistingFile(path + suffix));
  }
  return Status::Ok();
}

// Makes the journal file 0600 before SQLite opens it, whatever the umask: creates it so, or
// takes group/other bits off an existing one. SQLite creates its -wal, -shm and -journal files
// with the database file's mode (and fchmods them to it), so they are 0600 too. No umask()
// call: that is process-wide and would race with the host's threads.
// An existing file is never opened here: closing any descriptor of a file drops every POSIX
// lock this process holds on it, including the locks of SQLite connections already open in
// other threads (a second Recorder, the background sealer), and that corrupts the database
// (sqlite.org/howtocorrupt.html, section 2.2). fchmodat works by name and opens nothing.
Status MakePrivate(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {  // CheckExistingFile vetted it: ours, not a link
      if ((st.st_mode & 077) == 0 || ::fchmodat(AT_FDCWD, path.c_str(), 0600, 0) == 0) {
        return Status::Ok();
      }
      return Status::IoError(path + ": cannot make it private (chmod 600)");
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);  // a file just created: no connection can hold a lock on it yet
      return Status::Ok();
    }
    if (errno != EEXIST) break;  // EEXIST: another process created it meanwhile
  }
  return Status::IoError(path + ": " + std::strerror(errno));
}

Status PrepareFiles(const std::string& path, bool read_only) {
  if (!read_only) GLASSBOX_RETURN_IF_ERROR(base::EnsurePrivateDir(base::DirName(path)));
  GLASSBOX_RETURN_IF_ERROR(CheckJournalFiles(path));
  return read_only ? Status::Ok() : MakePrivate(path);
}

}  // namespace

const char* StateName(EventState s) {
  switch (s) {
    case EventState::kPending:
      return "pending";
    case EventState::kSent:
      return "sent";
    case EventState::kExported:
      return "exported";
    case EventState::kLocal:
      return "local";
  }
  return "?";
}

std::optional<EventState> ParseState(std::string_view name) {
  for (auto s :
       {EventState::kPending, EventState::kSent, EventState::kExported, EventState::kLocal}) {
    if (name == StateName(s)) return s;
  }
  return std::nullopt;
}

std::string DefaultJournalPath() { return base::XdgHome("DATA") + "/glassbox/journal.db"; }

void RemoveJournalFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal", ".id"}) {
    ::unlink((path + suffix).c_str());
  }
}

Journal::~Journal() {
  impl_.reset();  // statements before the connection
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Journal>> Journal::Open(const Options& options) {
  std::unique_ptr<Journal> j(new Journal());
  j->path_ = options.path.empty() ? DefaultJournalPath() : options.path;
  j->options_ = options;
  j->options_.path = j->path_;  // a background sealer opens the same file
  if (!j->is_private()) GLASSBOX_RETURN_IF_ERROR(PrepareFiles(j->path_, options.read_only));
  int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
  const char* file = j->path_ == kTemporaryPath ? "" : j->path_.c_str();
  int rc = sqlite3_open_v2(file, &j->db_, flags, nullptr);
  if (rc != SQLITE_OK) return detail::SqlError(j->db_, rc, j->path_);
  FileId opened = FileId::Of(j->path_);
  j->file_dev_ = opened.dev;
  j->file_ino_ = opened.ino;
  detail::SetBusyWait(j->db_, &j->options_.busy_timeout_ms);
  Status st = j->Init(j->options_);
  if (!st.ok()) {
    j->Abandon();
    // Name the file: "disk I/O error" alone does not tell a person where to look.
    return base::Prefixed(st, "journal " + j->path_ + ": ");
  }
  return j;
}

void Journal::Abandon() {
  if (impl_) impl_->StopSealer();
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
}

Status Journal::Init(const Options& options) {
  if (!is_private()) GLASSBOX_RETURN_IF_ERROR(detail::CheckWalHeader(path_));
  GLASSBOX_RETURN_IF_ERROR(detail::Configure(db_, options));
  const int64_t now_ms = base::UnixMillis(base::Clock::now());
  bool record_whole_check = false;
  if (!is_private() && options.check_on_open) {
    bool whole = detail::WholeCheckDue(db_, path_, options, now_ms);
    GLASSBOX_RETURN_IF_ERROR(detail::CheckOnOpen(db_, path_, whole));
    record_whole_check =
        whole && !options.read_only && detail::WholeCheckIsRecorded(path_, options);
  }
  GLASSBOX_RETURN_IF_ERROR(detail::CheckForeignSchema(db_, path_));
  bool created = false;
  if (!options.read_only) GLASSBOX_RETURN_IF_ERROR(detail::Migrate(db_, &created));
  impl_ = std::make_unique<Impl>(db_, options);
  if (options.read_only) {
    auto version = detail::FormatVersion(db_);
    if (!version.ok()) return version.status();
    if (version.value() < 3) impl_->UseFormat2BlockColumns();
  }
  GLASSBOX_RETURN_IF_ERROR(impl_->Prepare());
  auto id = GetMeta("install_id");
  if (!id.ok()) return id.status();
  install_id_ = id.value();
  if (is_private()) return Status::Ok();  // no path of ours, so no sidecar to check
  if (created) detail::WriteIdentity(path_, install_id_);
  GLASSBOX_RETURN_IF_ERROR(detail::CheckIdentity(path_, install_id_, options.read_only));
  // Written only into a journal that passed every check. Not recording it only means the
  // next open checks the whole file again.
  if (record_whole_check) {
    Status recorded = SetMeta("checked_at", std::to_string(now_ms));
    if (recorded.code() == StatusCode::kCorruption) return recorded;
  }
  return Status::Ok();
}

bool Journal::Replaced() const {
  if (is_private()) return false;
  FileId now = FileId::Of(path_);
  return !now.exists || now.dev != file_dev_ || now.ino != file_ino_;
}

int64_t Journal::FileBytes() const {
  if (is_private()) return 0;
  int64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    struct stat st {};
    if (::stat((path_ + suffix).c_str(), &st) == 0) total += st.st_size;
  }
  return total;
}

int64_t Journal::UsedBytes() const {
  int64_t pages = 0, free_pages = 0, page_size = 0;
  Stmt s;
  for (auto [sql, out] :
       {std::pair{"PRAGMA page_count", &pages}, std::pair{"PRAGMA freelist_count", &free_pages},
        std::pair{"PRAGMA page_size", &page_size}}) {
    Status st;
    if (s.Prepare(db_, sql).ok() && s.Step(&st)) *out = s.Int(0);
  }
  return (pages - free_pages) * page_size;
}

Status Journal::Append(const std::vector<NewEvent>& events, std::vector<int64_t>* seqs,
                       const LedgerEntry* ledger) {
  return impl_->Append(events, seqs, ledger);
}

Status Journal::AppendFrom(const std::function<Status(const EventSink&)>& produce,
                           const LedgerEntry* ledger) {
  return impl_->AppendFrom(produce, ledger);
}

Status Journal::Scan(const ScanOptions& options,
                     const std::function<bool(const StoredEvent&)>& visit) const {
  return impl_->Scan(options, visit);
}

Status Journal::SetStates(const std::vector<int64_t>& seqs, EventState state,
                          const LedgerEntry* ledger) {
  return impl_->SetStates(seqs, state, ledger);
}

Status Journal::DeleteInState(EventState state, const LedgerEntry* ledger, int64_t* deleted) {
  GLASSBOX_RETURN_IF_ERROR(impl_->DeleteInState(state, INT64_MAX, "", ledger, deleted));
  ReleaseFreePagesAfterDeletion(*deleted);
  return Status::Ok();
}

Status Journal::DeleteInStateBefore(EventState state, int64_t before_ms, std::string_view counter,
                                    const LedgerEntry* ledger, int64_t* deleted) {
  GLASSBOX_RETURN_IF_ERROR(impl_->DeleteInState(state, before_ms, counter, ledger, deleted));
  ReleaseFreePagesAfterDeletion(*deleted);
  return Status::Ok();
}

// The deleted rows were zeroed (secure_delete = ON), but pages that sealing and merging freed
// without zeroing (detail::MovingRows) may still hold an older copy of a deleted event. An
// incremental vacuum leaves no free page: each is overwritten by a page moved from the end of
// the file, or cut off with it. Best effort: the deletion is committed either way, and a free
// page left now is overwritten when it is reused.
void Journal::ReleaseFreePagesAfterDeletion(int64_t deleted) {
  if (deleted > 0) (void)ReleaseFreePages();
}

Status Journal::DropOldBlocks(int64_t before_ms, int64_t max_bytes, std::string_view counter,
                              int64_t* dropped) {
  *dropped = 0;
  for (;;) {
    bool over = max_bytes > 0 && UsedBytes() > max_bytes;
    int64_t n = 0;
    GLASSBOX_RETURN_IF_ERROR(impl_->DropOldestBlock(over ? INT64_MAX : before_ms, counter, &n));
    if (n == 0) break;
    *dropped += n;
  }
  ReleaseFreePagesAfterDeletion(*dropped);
  return Status::Ok();
}

Status Journal::Seal() { return impl_->SealAll(); }

Status Journal::SealFull() { return impl_->SealFull(); }

Status Journal::ReleaseTail() { return impl_->ReleaseTail(); }

Status Journal::ReleaseFreePages() { return detail::Exec(db_, "PRAGMA incremental_vacuum"); }

Status Journal::IntegrityCheck(std::string* report) const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db_, "PRAGMA integrity_check"));
  Status st;
  report->clear();
  while (s.Step(&st)) {
    if (!report->empty()) *report += "; ";
    *report += s.Text(0);
  }
  GLASSBOX_RETURN_IF_ERROR(st);
  return *report == "ok" ? Status::Ok() : Status::Corruption("integrity_check: " + *report);
}

}  // namespace glassbox::journal
