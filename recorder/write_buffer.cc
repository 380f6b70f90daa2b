#include "recorder/write_buffer.h"

#include <algorithm>

#include "base/memory.h"

namespace glassbox::recorder {

void QueuedEvents::Add(const journal::NewEvent& event, std::chrono::steady_clock::time_point now) {
  entries.push_back({text.size(), event.line.size(), event.span.span_id.size(), event.state,
                     event.recorded_at_ms, event.span.kind, now});
  base::AppendGrowing(text, event.line);
  text.append(event.span.span_id);
}

void QueuedEvents::Reserve(size_t events) {
  entries.reserve(events);
  text.reserve(events * kTypicalLineBytes);
}

void QueuedEvents::MoveBack(size_t n, QueuedEvents* out) {
  if (n >= entries.size()) return;
  const size_t from = entries[n].offset;
  const size_t base = out->text.size();
  out->text.append(text, from, std::string::npos);
  for (size_t i = n; i < entries.size(); ++i) {
    out->entries.push_back(entries[i]);
    out->entries.back().offset = entries[i].offset - from + base;
  }
  text.resize(from);
  entries.resize(n);
}

journal::NewEvent QueuedEvents::At(size_t i) const {
  const Entry& e = entries[i];
  std::string_view line = std::string_view(text).substr(e.offset, e.line_size);
  std::string_view span_id = std::string_view(text).substr(e.offset + e.line_size, e.span_id_size);
  return {line, e.state, e.recorded_at_ms, {e.span_kind, span_id}};
}

WriteBuffer::WriteBuffer(AppendFn append, size_t max_events, size_t batch_events,
                         std::chrono::milliseconds max_hold)
    : append_(std::move(append)),
      max_events_(max_events),
      // A batch must fit in the buffer twice over: the host fills the next one meanwhile.
      batch_events_(std::clamp<size_t>(batch_events, 1, std::max<size_t>(max_events / 2, 1))),
      max_hold_(max_hold) {
  queue_.Reserve(batch_events_);
  thread_ = std::thread([this] { Run(); });
}

WriteBuffer::~WriteBuffer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();  // Run() drains the queue before it returns
}

bool WriteBuffer::Enqueue(const journal::NewEvent& event) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= max_events_) return false;
    queue_.Add(event, std::chrono::steady_clock::now());
    ++enqueued_;
    // The writer waits for the first event (to time its wait) and for whole batches; waking
    // it for every event cost the host a futex call each.
    wake = queue_.size() == 1 || queue_.size() % batch_events_ == 0;
  }
  if (wake) wake_.notify_one();
  return true;
}

Status WriteBuffer::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = enqueued_;
  flush_to_ = std::max(flush_to_, target);
  wake_.notify_one();
  done_.wait(lock, [&] { return written_ >= target; });
  Status st = error_;
  error_ = Status::Ok();
  return st;
}

uint64_t WriteBuffer::failed_events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

Status WriteBuffer::WriteBatch(const QueuedEvents& batch) {
  std::vector<journal::NewEvent> events;
  events.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) events.push_back(batch.At(i));
  return append_(events);
}

void WriteBuffer::TakeDue(QueuedEvents* batch) {
  size_t take = queue_.size();
  const bool everything =
      stop_ || flush_to_ > written_ ||
      std::chrono::steady_clock::now() - queue_.entries.front().queued_at >= max_hold_;
  if (!everything) take -= take % batch_events_;
  if (take == 0) return;
  if (take == queue_.size()) {
    std::swap(*batch, queue_);  // the host fills the buffers the last batch left
    return;
  }
  // All of it goes, and what is not due comes back: usually the few events queued since the
  // writer woke, where copying the batch out cost a batch's bytes under the lock, and the
  // host's record() waited for it (4 ms, `perf trace`).
  std::swap(*batch, queue_);
  batch->MoveBack(take, &queue_);
}

void WriteBuffer::Run() {
  QueuedEvents batch;
  batch.Reserve(batch_events_);  // the host fills it next, after the first swap
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopped, and everything is written
    wake_.wait_until(lock, queue_.entries.front().queued_at + max_hold_, [&] {
      return stop_ || flush_to_ > written_ || queue_.size() >= batch_events_;
    });
    TakeDue(&batch);
    if (batch.empty()) continue;
    lock.unlock();
    Status st = WriteBatch(batch);  // the host keeps enqueueing meanwhile
    lock.lock();
    if (!st.ok()) {
      failed_ += batch.size();
      if (error_.ok()) error_ = st;
    }
    written_ += batch.size();
    batch.clear();
    done_.notify_all();
  }
}

}  // namespace glassbox::recorder
