#include "recorder/write_buffer.h"

namespace glassbox::recorder {

WriteBuffer::WriteBuffer(AppendFn append, size_t max_events)
    : append_(std::move(append)), max_events_(max_events) {
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= max_events_) return false;
    queue_.push_back(std::move(event));
    ++enqueued_;
  }
  wake_.notify_one();
  return true;
}

Status WriteBuffer::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t target = enqueued_;
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

void WriteBuffer::Run() {
  std::vector<PendingEvent> batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    batch.swap(queue_);
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
