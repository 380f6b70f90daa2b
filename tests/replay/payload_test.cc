// The parts of the payload builder that replay relies on: ranges and 413 splits.
#include <gtest/gtest.h>

#include "base/digest.h"
#include "replay/payload.h"
#include "test_journal.h"

namespace glassbox::replay {
namespace {

TEST(FirstBatch, TakesTheFirstBatchWithinTheRange) {
  testing::TempJournal j;
  auto seqs = j.Add(10);
  auto b = FirstBatch(*j, {}, {4, 1 << 20}, {seqs[2], seqs[8]});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value().seqs, (std::vector<int64_t>{seqs[3], seqs[4], seqs[5], seqs[6]}));
  auto tail = FirstBatch(*j, {}, {100, 1 << 20}, {seqs[6], seqs[8]});
  EXPECT_EQ(tail.value().seqs, (std::vector<int64_t>{seqs[7], seqs[8]}));
  EXPECT_TRUE(FirstBatch(*j, {}, {100, 1 << 20}, {seqs[9], INT64_MAX}).value().seqs.empty());
}

TEST(FirstBatch, SameRowsGiveTheSameBytesAsBuildBatches) {
  testing::TempJournal j;
  j.Add(7);
  std::vector<Batch> all;
  ASSERT_TRUE(BuildBatches(*j, {}, {3, 1 << 20}, [&](Batch&& b) {
                all.push_back(std::move(b));
                return true;
              }).ok());
  ASSERT_EQ(all.size(), 3u);
  auto first = FirstBatch(*j, {}, {3, 1 << 20}, {});
  EXPECT_EQ(first.value().body, all[0].body);
  EXPECT_EQ(first.value().sha256, all[0].sha256);
}

TEST(SplitBatch, HalvesKeepOrderAndBytesAndCarryTheirOwnKeys) {
  testing::TempJournal j;
  j.Add(5);
  Batch whole = FirstBatch(*j, {}, {}, {}).value();
  auto [a, b] = SplitBatch(whole);
  EXPECT_EQ(a.events(), 2);
  EXPECT_EQ(b.events(), 3);
  EXPECT_EQ(a.body + b.body, whole.body);
  EXPECT_EQ(a.sha256, base::Sha256Hex(a.body));
  EXPECT_EQ(b.sha256, base::Sha256Hex(b.body));
  EXPECT_NE(a.sha256, whole.sha256);
  // A half can be rebuilt from its range: that is how an interrupted half is resent.
  auto again = FirstBatch(*j, {}, {}, {b.seqs.front() - 1, b.seqs.back()});
  EXPECT_EQ(again.value().body, b.body);
}

}  // namespace
}  // namespace glassbox::replay
