// The parts of the payload builder that replay relies on: ranges and 413 splits.
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <thread>

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

// The builder reuses one batch's buffers for the next when the visitor leaves them: a visitor
// that only reads must see each batch on its own, as one that takes them does.
TEST(BuildBatches, AVisitorThatOnlyReadsSeesTheSameBatchesAsOneThatTakesThem) {
  testing::TempJournal j;
  j.Add(7);
  std::vector<Batch> taken;
  std::vector<std::pair<std::vector<int64_t>, std::string>> read;
  std::vector<std::string> keys;
  ASSERT_TRUE(BuildBatches(*j, {}, {3, 1 << 20}, [&](Batch&& b) {
                taken.push_back(std::move(b));
                return true;
              }).ok());
  ASSERT_TRUE(BuildBatches(*j, {}, {3, 1 << 20}, [&](Batch&& b) {
                read.emplace_back(b.seqs, b.body);
                keys.push_back(b.sha256);
                return true;
              }).ok());
  ASSERT_EQ(taken.size(), 3u);
  ASSERT_EQ(read.size(), taken.size());
  for (size_t i = 0; i < taken.size(); ++i) {
    EXPECT_EQ(read[i].first, taken[i].seqs);
    EXPECT_EQ(read[i].second, taken[i].body);
    EXPECT_EQ(keys[i], base::Sha256Hex(taken[i].body));
  }
  EXPECT_EQ(std::count(taken.back().body.begin(), taken.back().body.end(), '\n'), 1);
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

// The level-1 blocks a scan passes, as (first_seq, last_seq).
std::vector<std::pair<int64_t, int64_t>> UpperBlocks(journal::Journal& j) {
  std::vector<std::pair<int64_t, int64_t>> blocks;
  EXPECT_TRUE(j.Scan({}, [&](const journal::StoredEvent& e) {
                 if (e.block && e.block->level >= 1 && e.seq == e.block->first_seq) {
                   blocks.emplace_back(e.block->first_seq, e.block->last_seq);
                 }
                 return true;
               }).ok());
  return blocks;
}

std::vector<Batch> AllBatches(journal::Journal& j, const BatchLimits& limits) {
  std::vector<Batch> all;
  EXPECT_TRUE(BuildBatches(j, {}, limits, [&](Batch&& b) {
                all.push_back(std::move(b));
                return true;
              }).ok());
  return all;
}

std::string Decompressed(const std::string& frame) {
  std::string out(ZSTD_getFrameContentSize(frame.data(), frame.size()), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

TEST(WholeBlocks, ASealedBlockTravelsInItsOwnStoredFrame) {
  testing::TempJournal j;
  j.Add(2100);
  auto blocks = UpperBlocks(*j);
  ASSERT_EQ(blocks.size(), 2u) << "the sealer should have made two level-1 blocks";
  auto batches = AllBatches(*j, {});
  ASSERT_EQ(batches.size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    const Batch& b = batches[i];
    EXPECT_EQ(b.seqs.front(), blocks[i].first);
    EXPECT_EQ(b.seqs.back(), blocks[i].second);
    ASSERT_FALSE(b.frame.empty());
    EXPECT_EQ(Decompressed(b.frame), b.body);  // what the key covers is what the frame holds
    EXPECT_EQ(b.sha256, base::Sha256Hex(b.body));
    EXPECT_EQ(Compress(b, Compression::kZstd).value(), b.frame);
    EXPECT_EQ(Compress(b, Compression::kGzip).value(),
              Compress(b.body, Compression::kGzip).value());
  }
  EXPECT_TRUE(batches[2].frame.empty());  // level-0 blocks and tail rows
  EXPECT_EQ(batches[2].events(), 2100 - 2048);
  // The same bytes, byte for byte, one batch at a time as replay takes them.
  auto first = FirstBatch(*j, {}, {}, {});
  EXPECT_EQ(first.value().frame, batches[0].frame);
  auto second = FirstBatch(*j, {}, {}, {blocks[0].second, INT64_MAX});
  EXPECT_EQ(second.value().frame, batches[1].frame);
}

// Replay builds each batch in the buffers of the one sent before it.
TEST(WholeBlocks, FirstBatchIntoGivesFirstBatchsBytesInTheBuffersItWasGiven) {
  testing::TempJournal j;
  j.Add(2100);
  auto batches = AllBatches(*j, {});
  ASSERT_EQ(batches.size(), 3u);
  Batch reused;
  int64_t after = 0;
  const char* buffer = nullptr;
  for (size_t i = 0; i < batches.size(); ++i) {
    ASSERT_TRUE(FirstBatchInto(*j, {}, {}, {after, INT64_MAX}, &reused).ok());
    EXPECT_EQ(reused.seqs, batches[i].seqs);
    EXPECT_EQ(reused.body, batches[i].body);
    EXPECT_EQ(reused.frame, batches[i].frame);
    EXPECT_EQ(reused.sha256, batches[i].sha256);
    if (i == 1) {
      EXPECT_EQ(reused.body.data(), buffer);  // the second block's text fit
    }
    buffer = reused.body.data();
    after = reused.seqs.back();
  }
  ASSERT_TRUE(FirstBatchInto(*j, {}, {}, {after, INT64_MAX}, &reused).ok());
  EXPECT_TRUE(reused.seqs.empty());
  EXPECT_TRUE(reused.body.empty());
  EXPECT_TRUE(reused.frame.empty());
}

TEST(WholeBlocks, ABatchEndsWhereABlockThatFitsBegins) {
  testing::TempJournal j;
  auto seqs = j.Add(2100);
  auto blocks = UpperBlocks(*j);
  ASSERT_EQ(blocks.size(), 2u);
  // Ten events of the first block already sent: it is batched line by line, and the batch
  // stops where the second block begins, so that one still travels whole.
  std::vector<int64_t> sent(seqs.begin(), seqs.begin() + 10);
  ASSERT_TRUE(j->SetStates(sent, journal::EventState::kSent, nullptr).ok());
  auto batches = AllBatches(*j, {1500, 4 << 20});
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].events(), 1024 - 10);
  EXPECT_TRUE(batches[0].frame.empty());
  EXPECT_EQ(batches[1].seqs.front(), blocks[1].first);
  EXPECT_EQ(batches[1].seqs.back(), blocks[1].second);
  EXPECT_FALSE(batches[1].frame.empty());
}

// A local-only event must never leave: a block holding one is not whole, so its frame (which
// holds that event's line too) is never the body.
TEST(WholeBlocks, ABlockHoldingALocalOnlyEventIsNeverSentAsItsFrame) {
  testing::TempJournal j;
  auto seqs = j.Add(2100);
  ASSERT_EQ(UpperBlocks(*j).size(), 2u);
  ASSERT_TRUE(j->SetStates({seqs[500]}, journal::EventState::kLocal, nullptr).ok());
  std::string local_line;
  ASSERT_TRUE(j->Scan({}, [&](const journal::StoredEvent& e) {
                 if (e.seq == seqs[500]) local_line = std::string(e.line);
                 return e.seq < seqs[500];
               }).ok());
  ASSERT_FALSE(local_line.empty());
  auto batches = AllBatches(*j, {});
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].events(), 1023);
  EXPECT_TRUE(batches[0].frame.empty());
  EXPECT_EQ(Compress(batches[0], Compression::kZstd).value(),
            Compress(batches[0].body, Compression::kZstd).value());
  for (const Batch& b : batches) EXPECT_EQ(b.body.find(local_line + "\n"), std::string::npos);
  EXPECT_FALSE(batches[1].frame.empty());  // the other block is still whole
}

TEST(WholeBlocks, BlocksOverTheLimitsOrWholeBlocksOffAreBatchedLineByLine) {
  testing::TempJournal j;
  j.Add(2100);
  for (const BatchLimits& limits :
       {BatchLimits{500, 4 << 20}, BatchLimits{4096, 8 << 10},
        BatchLimits{4096, 4 << 20, /*keyed=*/true, /*whole_blocks=*/false}}) {
    auto batches = AllBatches(*j, limits);
    int64_t events = 0;
    for (const Batch& b : batches) {
      EXPECT_TRUE(b.frame.empty());
      events += b.events();
    }
    EXPECT_EQ(events, 2100);
  }
  // Without whole blocks, limits alone cut: 2,100 events in batches of 4,096 is one batch.
  EXPECT_EQ(AllBatches(*j, {4096, 4 << 20, true, false}).size(), 1u);
}

// Payloads are compressed on the uploader's look-ahead thread and on its main thread: a
// context kept between payloads must give each, even at the same moment, its own bytes.
TEST(Compress, PayloadsCompressedAtOnceEachGetZstdsOneShotBytes) {
  std::vector<std::string> bodies;
  for (int t = 0; t < 4; ++t) {
    std::string body;
    for (int i = 0; i < 2000 * (t + 1); ++i) {
      body += "{\"n\":" + std::to_string(i * (t + 3)) + ",\"thread\":" + std::to_string(t) + "}\n";
    }
    bodies.push_back(std::move(body));
  }
  std::vector<std::string> got(bodies.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < bodies.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        got[t] = Compress(bodies[t], Compression::kZstd).value();
        if (Decompressed(got[t]) != bodies[t]) return;  // checked below
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < bodies.size(); ++t) {
    EXPECT_EQ(Decompressed(got[t]), bodies[t]);
    std::string one_shot(ZSTD_compressBound(bodies[t].size()), '\0');
    one_shot.resize(
        ZSTD_compress(one_shot.data(), one_shot.size(), bodies[t].data(), bodies[t].size(), 3));
    EXPECT_EQ(got[t], one_shot) << "payload " << t;
  }
}

}  // namespace
}  // namespace glassbox::replay
