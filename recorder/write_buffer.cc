#include "recorder/write_buffer.h"

#include <algorithm>
#include <iterator>

namespace glassbox::recorder {

WriteBuffer::WriteBuffer(AppendFn append, size_t max_events, size_t batch_events,
                         std::chrono::milliseconds max_hold)
    : append_(std::move(append)),
      max_events_(max_events),
      // A batch must fit in the buffer twice over: the host fills the next one meanwhile.
      batch_events_(std::clamp<size_t>(batch_events, 1, std::max<size_t>(max_events / 2, 1))),
      max_hold_(max_hold) {
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

bool WriteBuffer::Enqueue(PendingEvent event) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= max_events_) return false;
    event.queued_at = std::chrono::steady_clock::now();
    queue_.push_back(std::move(event));
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

Status WriteBuffer::WriteBatch(std::vector<PendingEvent>& batch) {
  std::vector<journal::NewEvent> events;
  events.reserve(batch.size());
  for (const auto& e : batch) {
    events.push_back({e.line, e.state, e.recorded_at_ms, {e.span_kind, e.span_id}});
  }
  return append_(events);
}

void WriteBuffer::TakeDue(std::vector<PendingEvent>* batch) {
  size_t take = queue_.size();
  const bool everything = stop_ || flush_to_ > written_ ||
                          std::chrono::steady_clock::now() - queue_.front().queued_at >= max_hold_;
  if (!everything) take -= take % batch_events_;
  if (take == 0) return;
  if (take == queue_.size()) {
    batch->swap(queue_);
    return;
  }
  auto end = queue_.begin() + static_cast<std::ptrdiff_t>(take);
  batch->assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
  queue_.erase(queue_.begin(), end);
}

void WriteBuffer::Run() {
  std::vector<PendingEvent> batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopped, and everything is written
    wake_.wait_until(lock, queue_.front().queued_at + max_hold_, [&] {
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
