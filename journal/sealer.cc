#include "journal/sealer.h"

#include <sys/stat.h>

namespace glassbox::journal::detail {

BackgroundSealer::BackgroundSealer(Options options) : options_(std::move(options)) {
  options_.background_seal = false;  // the sealer's own connection seals inline
  options_.check_on_open = false;
  thread_ = std::thread([this] { Run(); });
}

BackgroundSealer::~BackgroundSealer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void BackgroundSealer::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (due_) return;
    due_ = true;
  }
  wake_.notify_one();
}

void BackgroundSealer::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  due_ = false;
  cancelled_ = true;
}

void BackgroundSealer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return due_ || stop_ || cancelled_; });
    if (!due_) break;
    due_ = false;
    lock.unlock();
    SealPass();
    lock.lock();
  }
  if (!journal_) return;
  if (cancelled_) {
    journal_->Abandon();
    return;
  }
  // While the host records, the tail and level-0 blocks grow and shrink and leave free pages
  // behind (up to about a merge's worth); a journal at rest should not keep them.
  (void)journal_->ReleaseFreePages();
}

// Failures lose nothing (the events stay in the tail, and the next append asks again), so
// they are not reported; a connection that failed is dropped and reopened next time.
void BackgroundSealer::SealPass() {
  if (!journal_) {
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) != 0) return;  // gone: not the sealer's to create
    auto opened = Journal::Open(options_);
    if (!opened.ok()) return;
    journal_ = std::move(opened.value());
    // This thread checkpoints after each pass instead (below).
    sqlite3_wal_autocheckpoint(journal_->db(), 0);
  }
  if (journal_->Replaced() || !journal_->SealFull().ok()) {
    journal_.reset();
    return;
  }
  // The appending connection leaves checkpoints to this thread (journal/FORMAT.md, "WAL
  // checkpoints"). PASSIVE never waits for the appender nor blocks it; whatever frames it
  // appends meanwhile are copied by the next pass.
  (void)sqlite3_wal_checkpoint_v2(journal_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                  nullptr);
}

}  // namespace glassbox::journal::detail
