#pragma once
// Buffered mode: record() hands finished event lines to a background writer that appends them
// in batches, so the host thread never waits on disk. Trades the kill -9 promise for
// throughput: events still in the buffer when the process dies are lost; Flush() and the
// destructor write everything out.
//
// The writer waits for whole batches (a journal block's worth, written straight into one
// block), and the host wakes it only for its first event and for each whole batch; an event
// that has waited `max_hold` is written with everything queued, so a quiet host loses at most
// that much on a crash.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "glassbox/status.h"
#include "journal/journal.h"

namespace glassbox::recorder {

struct PendingEvent {
  std::string line;
  journal::EventState state;
  int64_t recorded_at_ms;
  journal::SpanChange::Kind span_kind;
  std::string span_id;
  std::chrono::steady_clock::time_point queued_at{};  // set by Enqueue
};

class WriteBuffer {
 public:
  // Appends a batch in one transaction (the recorder's, which locks its journal and recovers
  // a damaged one); it must stay callable for the buffer's life.
  using AppendFn = std::function<Status(const std::vector<journal::NewEvent>&)>;
  // At most `max_events` wait; beyond that Enqueue refuses (the caller counts a drop) instead
  // of blocking the host. Batches are multiples of `batch_events` (at most half of
  // `max_events`) unless an event has waited `max_hold`, Flush() is called or the buffer
  // closes.
  WriteBuffer(AppendFn append, size_t max_events, size_t batch_events,
              std::chrono::milliseconds max_hold);
  ~WriteBuffer();
  WriteBuffer(const WriteBuffer&) = delete;
  WriteBuffer& operator=(const WriteBuffer&) = delete;

  bool Enqueue(PendingEvent event);
  // Blocks until everything enqueued before the call is written; returns the first write
  // error since the last Flush, if any.
  Status Flush();
  uint64_t failed_events() const;

 private:
  void Run();
  // REQUIRES: mu_ held. Moves what is due into `batch` (nothing when nothing is).
  void TakeDue(std::vector<PendingEvent>* batch);
  Status WriteBatch(std::vector<PendingEvent>& batch);

  AppendFn append_;
  size_t max_events_, batch_events_;
  std::chrono::milliseconds max_hold_;
  mutable std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<PendingEvent> queue_;
  uint64_t enqueued_ = 0, written_ = 0, failed_ = 0;
  uint64_t flush_to_ = 0;  // Flush() waits until written_ reaches it
  Status error_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace glassbox::recorder
