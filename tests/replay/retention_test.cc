#include "replay/retention.h"

#include <gtest/gtest.h>

#include "base/ids.h"
#include "test_journal.h"

namespace glassbox::replay {
namespace {

using journal::EventState;

constexpr int64_t kDay = 86'400'000;
const int64_t kNowMs = 1'800'000'000'000;
TimePoint Now() { return TimePoint(std::chrono::milliseconds(kNowMs)); }

TEST(Retention, MaxAgeDropsOldEventsAndCountsThem) {
  testing::TempJournal j;
  j.Add(5, EventState::kPending, kNowMs - 100 * kDay);
  ASSERT_TRUE(j->Seal().ok());
  j.Add(3, EventState::kPending, kNowMs - kDay);
  RetentionPolicy p;
  p.max_age = Millis(90 * kDay);
  auto r = ApplyRetention(*j, p, Now());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().dropped, 5);
  EXPECT_EQ(j.Count(EventState::kPending), 3);
  EXPECT_EQ(j->Counter("retention_dropped").value(), 5);
}

TEST(Retention, ZeroMaxAgeKeepsEverything) {
  testing::TempJournal j;
  j.Add(5, EventState::kPending, kNowMs - 1000 * kDay);
  ASSERT_TRUE(j->Seal().ok());
  RetentionPolicy p;
  p.max_age = Millis(0);
  EXPECT_EQ(ApplyRetention(*j, p, Now()).value().dropped, 0);
  EXPECT_EQ(j.Count(EventState::kPending), 5);
}

TEST(Retention, KeepSentPrunesOnlyOldSentEventsInTailAndBlocks) {
  testing::TempJournal j;
  auto old_sealed = j.Add(4, EventState::kPending, kNowMs - 10 * kDay);
  ASSERT_TRUE(j->Seal().ok());
  auto old_tail = j.Add(2, EventState::kPending, kNowMs - 10 * kDay);
  auto fresh = j.Add(2, EventState::kPending, kNowMs - 1000);
  std::vector<int64_t> sent = {old_sealed[0], old_sealed[1], old_tail[0], fresh[0]};
  ASSERT_TRUE(j->SetStates(sent, EventState::kSent, nullptr).ok());
  RetentionPolicy p;
  p.keep_sent = Millis(7 * kDay);
  auto r = ApplyRetention(*j, p, Now());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().sent_pruned, 3);
  EXPECT_EQ(j.Count(EventState::kSent), 1);     // the fresh one stays for inspect
  EXPECT_EQ(j.Count(EventState::kPending), 4);  // pending events are not pruned
  EXPECT_EQ(j->Counter("retention_sent_pruned").value(), 3);
}

TEST(Retention, MaxJournalBytesDropsOldestBlocksFirst) {
  testing::TempJournal j;
  for (int i = 0; i < 6; ++i) {
    j.Add(50, EventState::kPending, kNowMs - kDay, 2000);
    ASSERT_TRUE(j->Seal().ok());
  }
  int64_t before = j->UsedBytes();
  RetentionPolicy p;
  p.max_age = Millis(0);
  p.max_journal_bytes = before / 2;
  auto r = ApplyRetention(*j, p, Now());
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r.value().dropped, 0);
  EXPECT_LE(j->UsedBytes(), before / 2);
  EXPECT_EQ(j.Count(EventState::kPending) + r.value().dropped, 300);
}

}  // namespace
}  // namespace glassbox::replay
