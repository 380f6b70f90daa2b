#include "journal/block_compressor.h"

#include <system_error>

#include "journal/block_codec.h"

namespace glassbox::journal::detail {

BlockCompressor::~BlockCompressor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();  // a job in flight (an append that failed) ends first
}

void BlockCompressor::Start(std::string_view ndjson, int level) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = ndjson;
    level_ = level;
    has_job_ = true;
    frame_.reset();
  }
  if (!thread_.joinable()) {
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (const std::system_error&) {
      std::lock_guard<std::mutex> lock(mu_);
      frame_ = CompressBlock(job_, level_);
      has_job_ = false;
      return;
    }
  }
  cv_.notify_all();
}

Result<std::string> BlockCompressor::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return frame_.has_value(); });
  Result<std::string> frame = std::move(*frame_);
  frame_.reset();
  return frame;
}

void BlockCompressor::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || has_job_; });
    if (!has_job_) return;  // stopping, nothing left to do
    std::string_view job = job_;
    int level = level_;
    lock.unlock();
    Result<std::string> frame = CompressBlock(job, level);
    lock.lock();
    frame_ = std::move(frame);
    has_job_ = false;
    cv_.notify_all();
  }
}

}  // namespace glassbox::journal::detail
