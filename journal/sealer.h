#pragma once
// Background sealing, private to journal/: with Options::background_seal an append returns as
// soon as its events are committed, and a thread with its own connection seals the tail and
// merges level-0 blocks (journal/FORMAT.md), which is where the compression time goes.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "journal/journal.h"

namespace glassbox::journal::detail {

class BackgroundSealer {
 public:
  // `options` name the journal to open; the thread starts at once and opens it on first use.
  explicit BackgroundSealer(Options options);
  // Finishes a seal that was asked for (so a short-lived process still seals what it filled),
  // then stops.
  ~BackgroundSealer();
  BackgroundSealer(const BackgroundSealer&) = delete;
  BackgroundSealer& operator=(const BackgroundSealer&) = delete;

  // Asks for a pass over the journal; returns without waiting.
  void Wake();
  // Drops a pass that was asked for and leaves the file as it is (no free-page release, no
  // checkpoint at close): the journal was found damaged and is about to be examined. A pass
  // already running finishes first, so the destructor that follows still waits for it.
  void Cancel();

 private:
  void Run();
  void SealPass();

  Options options_;
  std::unique_ptr<Journal> journal_;  // used by the thread only
  std::mutex mu_;
  std::condition_variable wake_;
  bool due_ = false, stop_ = false, cancelled_ = false;
  std::thread thread_;  // last: started when everything it uses exists
};

}  // namespace glassbox::journal::detail
