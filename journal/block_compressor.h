#pragma once
// A block compressed on a second thread while its caller goes on: a bulk append (import,
// `record --ndjson`) compresses each filled block at the merge level while the next block's
// events are read and checked.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "glassbox/status.h"

namespace glassbox::journal::detail {

class BlockCompressor {
 public:
  BlockCompressor() = default;
  ~BlockCompressor();
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;

  // Starts CompressBlock(ndjson, level). REQUIRES: no block in flight (Wait() returned since
  // the last Start); `ndjson` stays alive and unchanged until Wait() returns. Without a thread
  // to be had, compresses here.
  void Start(std::string_view ndjson, int level);
  // The frame of the block started last.
  Result<std::string> Wait();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::string_view job_;
  int level_ = 0;
  bool has_job_ = false, stop_ = false;
  std::optional<Result<std::string>> frame_;  // set when the job is done
  std::thread thread_;  // started at the first Start(): one thread, so one zstd context
};

}  // namespace glassbox::journal::detail
