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

// Events waiting to be written. Their lines and span ids are copied into one buffer, not
// held one allocation each: the writer thread used to free every line, and glibc returns a
// chunk freed by another thread to its arena under a lock, so the host's next line missed its
// per-thread cache (the host's `_int_malloc` was 7% of its samples). The buffers go round
// between the host and the writer and keep their capacity.
struct QueuedEvents {
  struct Entry {
    size_t offset;  // in `text`: the line, then the span id
    size_t line_size, span_id_size;
    journal::EventState state;
    int64_t recorded_at_ms;
    journal::SpanChange::Kind span_kind;
    std::chrono::steady_clock::time_point queued_at;
  };
  std::string text;
  std::vector<Entry> entries;

  // Room for a batch of typical events, reserved but not touched: its pages fault in one by
  // one as lines arrive. Grown instead, the buffer was copied and mapped anew at each
  // doubling in the first batches, one record() waiting 2-3 ms for it (record_bench's
  // slowest).
  static constexpr size_t kTypicalLineBytes = 768;
  void Reserve(size_t events);
  void Add(const journal::NewEvent& event, std::chrono::steady_clock::time_point now);
  // Moves the entries from the `n`th on to the end of `out`.
  void MoveBack(size_t n, QueuedEvents* out);
  journal::NewEvent At(size_t i) const;
  size_t size() const { return entries.size(); }
  bool empty() const { return entries.empty(); }
  void clear() {
    text.clear();
    entries.clear();
  }
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

  // Copies the event's line and span id; false when the buffer is full.
  bool Enqueue(const journal::NewEvent& event);
  // Blocks until everything enqueued before the call is written; returns the first write
  // error since the last Flush, if any.
  Status Flush();
  uint64_t failed_events() const;

 private:
  void Run();
  // REQUIRES: mu_ held. Moves what is due into `batch` (nothing when nothing is).
  void TakeDue(QueuedEvents* batch);
  Status WriteBatch(const QueuedEvents& batch);

  AppendFn append_;
  size_t max_events_, batch_events_;
  std::chrono::milliseconds max_hold_;
  mutable std::mutex mu_;
  std::condition_variable wake_, done_;
  QueuedEvents queue_;
  uint64_t enqueued_ = 0, written_ = 0, failed_ = 0;
  uint64_t flush_to_ = 0;  // Flush() waits until written_ reaches it
  Status error_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace glassbox::recorder
