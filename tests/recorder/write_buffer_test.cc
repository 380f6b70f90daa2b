// Buffered mode's writer: whole batches, the rest held until it has waited long enough, a
// Flush() or the buffer's end.
#include "recorder/write_buffer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

namespace glassbox::recorder {
namespace {

using std::chrono::milliseconds;

// Records the size of every batch the writer appends, and lets a test wait for a total.
class Batches {
 public:
  WriteBuffer::AppendFn Append() {
    return [this](const std::vector<journal::NewEvent>& events) {
      std::lock_guard<std::mutex> lock(mu_);
      sizes_.push_back(events.size());
      appended_.notify_all();
      return Status::Ok();
    };
  }
  // The sizes once `events` were appended in all (a generous bound, so a broken writer fails
  // the test instead of hanging it).
  std::vector<size_t> WaitFor(size_t events) {
    std::unique_lock<std::mutex> lock(mu_);
    appended_.wait_for(lock, std::chrono::seconds(60), [&] { return Total() >= events; });
    return sizes_;
  }
  std::vector<size_t> Sizes() {
    std::lock_guard<std::mutex> lock(mu_);
    return sizes_;
  }

 private:
  size_t Total() const { return std::accumulate(sizes_.begin(), sizes_.end(), size_t{0}); }
  std::mutex mu_;
  std::condition_variable appended_;
  std::vector<size_t> sizes_;
};

journal::NewEvent AnEvent() { return {"{}", journal::EventState::kPending, 0, {}}; }

TEST(WriteBuffer, WritesWholeBatchesAndHoldsTheRestUntilFlush) {
  Batches batches;
  WriteBuffer buffer(batches.Append(), 1000, /*batch_events=*/4,
                     /*max_hold=*/milliseconds(3600000));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(buffer.Enqueue(AnEvent()));
  std::vector<size_t> before = batches.WaitFor(8);
  ASSERT_EQ(std::accumulate(before.begin(), before.end(), size_t{0}), 8u);
  for (size_t size : before) EXPECT_EQ(size % 4, 0u) << size;
  // The other two are not due: no whole batch, no Flush, and they have not waited an hour.
  EXPECT_EQ(batches.Sizes(), before);
  ASSERT_TRUE(buffer.Flush().ok());
  std::vector<size_t> after = batches.Sizes();
  ASSERT_EQ(after.size(), before.size() + 1);
  EXPECT_EQ(after.back(), 2u);
}

TEST(WriteBuffer, WritesWhatHasWaitedTheLongestItMay) {
  Batches batches;
  WriteBuffer buffer(batches.Append(), 1000, /*batch_events=*/500, /*max_hold=*/milliseconds(20));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(buffer.Enqueue(AnEvent()));
  EXPECT_EQ(batches.WaitFor(3), std::vector<size_t>{3});  // no Flush(): written by the timer
}

TEST(WriteBuffer, ClosingWritesWhatItHeld) {
  Batches batches;
  {
    WriteBuffer buffer(batches.Append(), 1000, 4, milliseconds(3600000));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(buffer.Enqueue(AnEvent()));
  }
  EXPECT_EQ(batches.Sizes(), std::vector<size_t>{3});
}

// A batch bigger than half the buffer would leave the host no room to fill the next one:
// with room for 6, batches of 3.
TEST(WriteBuffer, BatchesFitInHalfTheBuffer) {
  Batches batches;
  WriteBuffer buffer(batches.Append(), 6, 4096, milliseconds(3600000));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(buffer.Enqueue(AnEvent()));
  EXPECT_EQ(batches.WaitFor(3), std::vector<size_t>{3});
}

// The queue keeps every line and span id in one buffer; the events a batch leaves behind go
// back to the queue (after what it holds) with their own bytes, and the batch keeps the rest.
TEST(QueuedEvents, MovingTheBackKeepsEveryLineAndSpanId) {
  QueuedEvents batch, queue;
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::string> lines, spans;
  for (int i = 0; i < 5; ++i) {
    lines.push_back("{\"n\":" + std::to_string(i) + std::string(static_cast<size_t>(i), ' ') + "}");
    spans.push_back(i % 2 ? "span-" + std::to_string(i) : "");
    batch.Add({lines.back(),
               journal::EventState::kLocal,
               100 + i,
               {i % 2 ? journal::SpanChange::Kind::kOpen : journal::SpanChange::Kind::kNone,
                spans.back()}},
              now);
  }
  queue.Add({"{\"queued\":1}", journal::EventState::kPending, 7, {}}, now);
  batch.MoveBack(3, &queue);
  ASSERT_EQ(batch.size(), 3u);
  ASSERT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.At(0).line, "{\"queued\":1}");
  for (size_t i = 0; i < 5; ++i) {
    journal::NewEvent e = i < 3 ? batch.At(i) : queue.At(i - 2);
    EXPECT_EQ(e.line, lines[i]) << i;
    EXPECT_EQ(e.span.span_id, spans[i]) << i;
    EXPECT_EQ(e.recorded_at_ms, 100 + static_cast<int64_t>(i)) << i;
    EXPECT_EQ(e.state, journal::EventState::kLocal) << i;
    EXPECT_EQ(e.span.kind,
              i % 2 ? journal::SpanChange::Kind::kOpen : journal::SpanChange::Kind::kNone);
  }
}

}  // namespace
}  // namespace glassbox::recorder
