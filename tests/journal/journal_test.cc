// The journal: append and scan, sealing into blocks, state changes, retention, small tables.
#include "journal/journal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <thread>

#include "journal/block_codec.h"
#include "journal/sqlite_util.h"
#include "tests/journal/count_events.h"
#include "tests/journal/format2.h"

namespace glassbox::journal {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/glassbox-journal-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.path = dir_ + "/sub/journal.db";
    options_.seal_events = 4;
    options_.busy_timeout_ms = 2000;
    Reopen();
  }
  void TearDown() override {
    j_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    j_.reset();
    auto j = Journal::Open(options_);
    ASSERT_TRUE(j.ok()) << j.status().message();
    j_ = std::move(j.value());
  }
  static std::string Line(int i) { return R"({"event_id":"e)" + std::to_string(i) + R"("})"; }
  // Appends events i = from..to (one transaction each), recorded at i ms; returns their seqs.
  std::vector<int64_t> AppendRange(int from, int to) {
    std::vector<int64_t> seqs;
    for (int i = from; i <= to; ++i) {
      std::string line = Line(i);
      EXPECT_TRUE(j_->Append({{line, EventState::kPending, i, {}}}, &seqs).ok());
    }
    return seqs;
  }
  std::vector<std::string> Lines(ScanOptions o = {}) {
    std::vector<std::string> lines;
    Status st = j_->Scan(o, [&](const StoredEvent& e) {
      lines.emplace_back(e.line);
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return lines;
  }
  int64_t Count(const char* sql) {
    detail::Stmt s;
    Status st = s.Prepare(j_->db(), sql);
    EXPECT_TRUE(st.ok()) << st.message();
    return s.Step(&st) ? s.Int(0) : -1;
  }
  std::unique_ptr<Journal> OpenReadOnly() {
    Options ro = options_;
    ro.read_only = true;
    auto reader = Journal::Open(ro);
    EXPECT_TRUE(reader.ok()) << reader.status().message();
    return reader.ok() ? std::move(reader.value()) : nullptr;
  }
  // The database file's bytes once the WAL is checkpointed into it (and emptied).
  std::string FileBytesAfterCheckpoint() {
    EXPECT_EQ(
        sqlite3_wal_checkpoint_v2(j_->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr),
        SQLITE_OK);
    std::ifstream in(options_.path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  int64_t Blocks() { return Count("SELECT count(*) FROM blocks"); }
  // Every block written (sealed or merged) is one compression: temp.written counts them, on
  // this connection.
  void CountWrittenBlocks() {
    ASSERT_TRUE(detail::Exec(j_->db(),
                             "CREATE TEMP TABLE written(level); CREATE TEMP TRIGGER "
                             "count_written AFTER INSERT ON main.blocks BEGIN INSERT INTO "
                             "written VALUES (new.level); END;")
                    .ok());
  }
  static std::vector<std::string> LinesUpTo(int last) {
    std::vector<std::string> lines;
    for (int i = 1; i <= last; ++i) lines.push_back(Line(i));
    return lines;
  }
  int64_t TailRows() { return Count("SELECT count(*) FROM tail"); }

  std::string dir_;
  Options options_;
  std::unique_ptr<Journal> j_;
};

TEST_F(JournalTest, AnInMemoryJournalTouchesNoFile) {
  fs::path before = fs::current_path();
  fs::current_path(dir_);
  Options o;
  o.path = kInMemoryPath;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_TRUE(j.value()->in_memory());
  EXPECT_FALSE(j.value()->Replaced());
  ASSERT_TRUE(j.value()->Append({{Line(1), EventState::kPending, 1, {}}}).ok());
  j.value().reset();
  fs::current_path(before);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
  EXPECT_THAT(names, ElementsAre("sub"));  // only the fixture's own journal directory
}

// Open files that are already unlinked: where SQLite keeps a temporary database.
int DeletedOpenFiles() {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    fs::path target = fs::read_symlink(e.path(), ec);
    if (!ec && target.string().ends_with(" (deleted)")) ++n;
  }
  return n;
}

TEST_F(JournalTest, ATemporaryJournalLivesInAnUnlinkedFileAndLeavesNothing) {
  fs::path before = fs::current_path();
  fs::current_path(dir_);
  int deleted_before = DeletedOpenFiles();
  Options o;
  o.path = kTemporaryPath;
  o.seal_events = 4;
  auto j = Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_TRUE(j.value()->is_private());
  EXPECT_FALSE(j.value()->in_memory());
  // Lines that do not compress, more than SQLite's page cache (2 MiB) holds: SQLite creates
  // the file only when its pages spill.
  std::mt19937_64 random(7);
  for (int i = 0; i < 1000; ++i) {
    std::string line = Line(i), padding;
    while (padding.size() < 4000) padding += std::to_string(random());
    line.insert(line.size() - 1, R"(,"p":")" + padding + "\"");
    ASSERT_TRUE(j.value()->Append({{line, EventState::kPending, i, {}}}).ok());
  }
  int events = 0;
  ASSERT_TRUE(j.value()->Scan({}, [&](const StoredEvent&) { return ++events > 0; }).ok());
  EXPECT_EQ(events, 1000);
  EXPECT_EQ(j.value()->FileBytes(), 0);
  EXPECT_GT(DeletedOpenFiles(), deleted_before);  // on disk, but already unlinked
  j.value().reset();
  EXPECT_EQ(DeletedOpenFiles(), deleted_before);
  fs::current_path(before);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
  EXPECT_THAT(names, ElementsAre("sub"));  // nothing named after the path
}

TEST_F(JournalTest, ScanReturnsEventsInAppendOrder) {
  std::string a = Line(1), b = Line(2), c = Line(3);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(
      j_->Append({{a, EventState::kPending, 1, {}}, {b, EventState::kPending, 2, {}}}, &seqs).ok());
  ASSERT_TRUE(j_->Append({{c, EventState::kPending, 3, {}}}, &seqs).ok());
  EXPECT_THAT(Lines(), ElementsAre(a, b, c));
  ASSERT_EQ(seqs.size(), 3u);
  EXPECT_LT(seqs[0], seqs[1]);
  EXPECT_LT(seqs[1], seqs[2]);
  ScanOptions after;
  after.after_seq = seqs[0];
  EXPECT_THAT(Lines(after), ElementsAre(b, c));
}

TEST_F(JournalTest, FullTailIsSealedIntoBlocksAndScansTheSame) {
  AppendRange(1, 10);
  EXPECT_EQ(Blocks(), 2);    // 1-4 and 5-8
  EXPECT_EQ(TailRows(), 2);  // 9, 10
  EXPECT_EQ(Lines(), LinesUpTo(10));
  ASSERT_TRUE(j_->Seal().ok());
  EXPECT_EQ(TailRows(), 0);
  EXPECT_EQ(Lines(), LinesUpTo(10));
}

// Each connection remembers a lower bound of the tail's first seq and asks SQLite only when
// that bound says a seal may be due. Another connection sealing meanwhile leaves the bound
// low, never high: a due seal is still made, and one that is not due is not.
TEST_F(JournalTest, AppendsThroughTwoConnectionsSealWhenTheTailIsFull) {
  auto other = Journal::Open(options_);
  ASSERT_TRUE(other.ok()) << other.status().message();
  auto append = [](Journal& j, int i) {
    std::string line = Line(i);
    ASSERT_TRUE(j.Append({{line, EventState::kPending, i, {}}}).ok());
  };
  for (int i = 1; i <= 3; ++i) append(*j_, i);
  for (int i = 4; i <= 6; ++i) append(*other.value(), i);  // seals 1-4 when 4 comes
  EXPECT_EQ(Blocks(), 1);
  EXPECT_EQ(TailRows(), 2);
  append(*j_, 7);  // 5-7: three rows, not due
  EXPECT_EQ(Blocks(), 1);
  EXPECT_EQ(TailRows(), 3);
  append(*j_, 8);  // 5-8: due, though this connection last saw the tail start at 1
  EXPECT_EQ(Blocks(), 2);
  EXPECT_EQ(TailRows(), 0);
  EXPECT_EQ(Lines(), LinesUpTo(8));
}

// A lock held by another connection is waited for, and given up with Busy once
// busy_timeout_ms has passed.
TEST_F(JournalTest, AppendWaitsForALockAndGivesUpAfterTheTimeout) {
  options_.busy_timeout_ms = 300;
  auto other = Journal::Open(options_);
  ASSERT_TRUE(other.ok()) << other.status().message();
  std::string line = Line(1);
  ASSERT_TRUE(detail::Exec(j_->db(), "BEGIN IMMEDIATE").ok());
  auto start = std::chrono::steady_clock::now();
  Status busy = other.value()->Append({{line, EventState::kPending, 1, {}}});
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(busy.code(), StatusCode::kBusy) << busy.message();
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(detail::Exec(j_->db(), "COMMIT").ok());
  });
  Status waited_for = other.value()->Append({{line, EventState::kPending, 1, {}}});
  release.join();
  EXPECT_TRUE(waited_for.ok()) << waited_for.message();
  EXPECT_EQ(TailRows(), 1);
}

// With background sealing an append only commits; the sealer thread (its own connection)
// does the same sealing and merging, and a close waits for the pass it was asked for.
TEST_F(JournalTest, BackgroundSealingSealsAndMergesWhatFilledBeforeClose) {
  options_.background_seal = true;
  options_.merge_blocks = 2;
  Reopen();
  AppendRange(1, 50);
  std::vector<std::string> expected;
  for (int i = 1; i <= 50; ++i) expected.push_back(Line(i));
  EXPECT_EQ(Lines(), expected);  // whatever the sealer has done so far
  options_.background_seal = false;
  Reopen();  // closing waited for the sealer
  EXPECT_LT(TailRows(), options_.seal_events);
  EXPECT_GE(Count("SELECT count(*) FROM blocks WHERE level = 1"), 1);
  EXPECT_EQ(Lines(), expected);
  std::string report;
  EXPECT_TRUE(j_->IntegrityCheck(&report).ok()) << report;
}

// The appending connection checkpoints only past 4,000 WAL frames; below that, the sealer's
// passes copy the WAL into the database file, so a record() never waits for that copy.
TEST_F(JournalTest, BackgroundSealerCheckpointsTheWal) {
  options_.background_seal = true;
  Reopen();
  // The file's bytes, not its size: a sealer that keeps up reuses freed pages, and then the
  // whole journal can stay within the pages the file already has (it failed ~1 run in 10).
  const auto db_bytes = [&] {
    std::ifstream in(options_.path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const auto initial = db_bytes();
  AppendRange(1, 400);  // about 400 WAL frames, far below the appender's own threshold
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (db_bytes() == initial && std::chrono::steady_clock::now() < deadline) {
    AppendRange(401, 401);  // wakes the sealer again should its pass have been the last
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_NE(db_bytes(), initial);
}

// Sealing leaves free pages behind (deleted tail rows, merged level-0 blocks); a new journal
// is created with incremental auto-vacuum and the background sealer gives them back when the
// journal closes, so a journal at rest is no larger than what it holds.
TEST_F(JournalTest, ABackgroundSealedJournalKeepsNoFreePagesAtRest) {
  EXPECT_EQ(Count("PRAGMA auto_vacuum"), 2);  // INCREMENTAL
  options_.background_seal = true;
  options_.merge_blocks = 2;
  Reopen();
  std::mt19937 random(7);
  for (int i = 0; i < 200; ++i) {
    std::string line = R"({"event_id":"e)" + std::to_string(i) + R"(","pad":")";
    for (int k = 0; k < 3000; ++k) line.push_back(static_cast<char>('a' + random() % 26));
    line += R"("})";
    ASSERT_TRUE(j_->Append({{line, EventState::kPending, i, {}}}).ok());
  }
  options_.background_seal = false;
  Reopen();
  EXPECT_EQ(Count("PRAGMA freelist_count"), 0);
  EXPECT_EQ(Lines().size(), 200u);
}

// Level 0 -> 1 -> 2, each merge taking the oldest blocks of its level: with 4 events per
// level-0 block and 2 blocks per merge, level-2 blocks hold 16 events, in journal order.
TEST_F(JournalTest, BlocksMergeUpThreeLevelsInJournalOrder) {
  options_.merge_blocks = 2;
  options_.top_merge_blocks = 2;
  Reopen();
  AppendRange(1, 40);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2"), 2);  // 1-16, 17-32
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 1"), 1);  // 33-40
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 0"), 0);
  EXPECT_EQ(Count("SELECT max(count) FROM blocks"), 16);
  EXPECT_EQ(Lines(), LinesUpTo(40));
}

// A bulk append (import, record --ndjson) seals straight into level 1 or 2 once every level
// below is empty, so its events are compressed once; the levels still go oldest to newest.
TEST_F(JournalTest, ABulkAppendSealsStraightIntoUpperLevelsInJournalOrder) {
  options_.merge_blocks = 2;      // level 1: 8 events
  options_.top_merge_blocks = 2;  // level 2: 16 events
  Reopen();
  AppendRange(1, 5);  // 1-4 sealed into level 0, 5 in the tail
  CountWrittenBlocks();
  std::vector<std::string> lines;
  for (int i = 6; i <= 45; ++i) lines.push_back(Line(i));
  std::vector<NewEvent> bulk;
  for (int i = 6; i <= 45; ++i) bulk.push_back({lines[i - 6], EventState::kPending, i, {}});
  ASSERT_TRUE(j_->Append(bulk, nullptr).ok());
  // 5-8 to level 0 (level 0 was not empty), merged with 1-4 into level 1; 9-16 straight into
  // level 1 and merged into level 2 (1-16); 17-32 straight into level 2; 33-40 straight into
  // level 1; 41-44 into level 0; 45 left in the tail.
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2 AND first_seq = 17 AND count = 16"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 1 AND first_seq = 33 AND count = 8"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 0 AND first_seq = 41 AND count = 4"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks"), 4);
  EXPECT_EQ(TailRows(), 1);
  // 5-8, 1-8, 9-16, 1-16, 17-32, 33-40, 41-44: seven blocks written. Sealing everything into
  // level 0 and merging up would write 17 (10 level-0, 5 level-1, 2 level-2).
  EXPECT_EQ(Count("SELECT count(*) FROM temp.written"), 7);
  EXPECT_EQ(Lines(), LinesUpTo(45));
}

// Buffered writers hold the tail until it fills a level-2 block and seal it there directly:
// one compression per event. The rows after the last whole block stay in the tail until
// ReleaseTail() seals them as usual.
TEST_F(JournalTest, AHeldTailGoesStraightIntoLevelTwoBlocks) {
  options_.merge_blocks = 2;      // level 1: 8 events
  options_.top_merge_blocks = 2;  // level 2: 16 events
  options_.hold_tail = true;
  Reopen();
  CountWrittenBlocks();
  AppendRange(1, 15);
  EXPECT_EQ(Blocks(), 0);
  EXPECT_EQ(TailRows(), 15);
  AppendRange(16, 36);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2 AND count = 16"), 2);  // 1-32
  EXPECT_EQ(Blocks(), 2);
  EXPECT_EQ(TailRows(), 4);  // 33-36: a level-0 block's worth, held
  EXPECT_EQ(Count("SELECT count(*) FROM temp.written"), 2);
  ASSERT_TRUE(j_->ReleaseTail().ok());
  EXPECT_EQ(TailRows(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 0 AND first_seq = 33"), 1);
  EXPECT_EQ(Lines(), LinesUpTo(36));
}

// Long lines: a held tail is also due when it holds a level-2 block's bytes.
TEST_F(JournalTest, AHeldTailOfLongLinesIsSealedByItsBytes) {
  options_.merge_blocks = 2;
  options_.top_merge_blocks = 2;
  options_.seal_bytes = 64;  // level 2: 256 bytes
  options_.hold_tail = true;
  Reopen();
  std::vector<std::string> lines;
  for (int i = 1; i <= 4; ++i) lines.push_back(Line(i) + std::string(100, ' '));
  for (const std::string& line : lines) {
    ASSERT_TRUE(j_->Append({{line, EventState::kPending, 1, {}}}, nullptr).ok());
  }
  // 3 lines reach 256 bytes: one level-2 block; the 4th is held.
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2 AND count = 3"), 1);
  EXPECT_EQ(Blocks(), 1);
  EXPECT_EQ(TailRows(), 1);
  EXPECT_EQ(Lines(), lines);
}

// What levels 0 and 1 hold (an earlier process's blocks) is newer than every level-2 block
// and older than the tail: it is folded into level 2 before the tail goes there, states kept,
// so journal order holds. A lone level-1 block is relabelled, not compressed again.
TEST_F(JournalTest, AHeldTailFoldsTheLowerLevelsUpFirst) {
  options_.merge_blocks = 2;
  options_.top_merge_blocks = 2;
  for (int level0_blocks : {0, 1}) {
    SCOPED_TRACE(level0_blocks);
    options_.hold_tail = false;
    options_.path = dir_ + "/fold" + std::to_string(level0_blocks) + ".db";
    Reopen();
    // 1-8 merged into level 1; then 9-12 in level 0 (or not), the rest in the tail.
    auto seqs = AppendRange(1, level0_blocks ? 13 : 9);
    ASSERT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 1"), 1);
    ASSERT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 0"), level0_blocks);
    ASSERT_TRUE(j_->SetStates({seqs[1], seqs.back()}, EventState::kSent, nullptr).ok());
    options_.hold_tail = true;
    Reopen();
    CountWrittenBlocks();
    int last = static_cast<int>(seqs.size()) + 15;
    AppendRange(static_cast<int>(seqs.size()) + 1, last);
    EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level < 2"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2"), 2);
    EXPECT_EQ(TailRows(), 0);
    // Level 0 folded: 9-12 merged into level 1, then both level-1 blocks into level 2. Or
    // the lone level-1 block relabelled. Then the tail's 16 events: one more block.
    EXPECT_EQ(Count("SELECT count(*) FROM temp.written"), level0_blocks ? 3 : 1);
    EXPECT_EQ(Lines(), LinesUpTo(last));
    EXPECT_EQ(Lines({.state = EventState::kSent}),
              (std::vector<std::string>{Line(2), Line(static_cast<int>(seqs.size()))}));
  }
}

// Seal() compacts a whole tail at once (salvage writes everything, then seals): merges still
// take at most their fan-in, so no block grows past a level-2 block whatever the tail held.
TEST_F(JournalTest, SealingALongTailKeepsBlocksBounded) {
  options_.seal_events = 1000000;  // nothing seals while appending
  options_.merge_blocks = 2;
  options_.top_merge_blocks = 2;
  Reopen();
  AppendRange(1, 101);
  options_.seal_events = 4;
  Reopen();
  ASSERT_TRUE(j_->Seal().ok());
  EXPECT_EQ(TailRows(), 0);
  EXPECT_EQ(Count("SELECT max(count) FROM blocks"), 16);
  EXPECT_EQ(Lines(), LinesUpTo(101));
}

// Replay reads a block one batch at a time, and a scan keeps the text of the block it stopped
// in. A block rewritten meanwhile (here: sent events deleted) must be read afresh.
TEST_F(JournalTest, AScanResumedInsideARewrittenBlockReadsItAfresh) {
  options_.merge_blocks = 2;
  options_.top_merge_blocks = 2;
  Reopen();
  auto seqs = AppendRange(1, 16);
  ASSERT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2 AND count = 16"), 1);
  std::vector<std::string> first;
  ASSERT_TRUE(j_->Scan({}, [&](const StoredEvent& e) {
                  first.emplace_back(e.line);
                  return first.size() < 2;
                }).ok());
  ASSERT_EQ(first, (std::vector<std::string>{Line(1), Line(2)}));
  std::vector<std::string> rest;
  ASSERT_TRUE(j_->Scan({std::nullopt, seqs[1]}, [&](const StoredEvent& e) {
                  rest.emplace_back(e.line);
                  return rest.size() < 2;
                }).ok());
  ASSERT_EQ(rest, (std::vector<std::string>{Line(3), Line(4)}));
  ASSERT_TRUE(j_->SetStates({seqs[4], seqs[5]}, EventState::kSent, nullptr).ok());
  int64_t deleted = 0;
  ASSERT_TRUE(j_->DeleteInState(EventState::kSent, nullptr, &deleted).ok());
  ASSERT_EQ(deleted, 2);
  rest.clear();
  ASSERT_TRUE(j_->Scan({std::nullopt, seqs[3]}, [&](const StoredEvent& e) {
                  rest.emplace_back(e.line);
                  return rest.size() < 3;
                }).ok());
  EXPECT_EQ(rest, (std::vector<std::string>{Line(7), Line(8), Line(9)}));
}

// import and a staged bundle append through AppendFrom: more events than are held at once.
// A bulk append into an empty tail writes whole blocks straight from the events, at the
// level sealing would have chosen, and its seqs continue the tail's sequence.
class BulkAppendTest : public JournalTest {
 protected:
  void SetUp() override {
    JournalTest::SetUp();
    options_.merge_blocks = 2;      // level-1 blocks of 8 events
    options_.top_merge_blocks = 2;  // level-2 blocks of 16
    Reopen();
  }
  // Appends events from..to in one AppendFrom; `span_at` opens a span at that event.
  Status Bulk(int from, int to, int span_at = 0, int fail_at = 0) {
    return j_->AppendFrom([&](const Journal::EventSink& add) {
      for (int i = from; i <= to; ++i) {
        if (i == fail_at) return Status::IoError("the bundle ran out");
        std::string line = Line(i);
        SpanChange span;
        if (i == span_at) span = {SpanChange::Kind::kOpen, "s1"};
        GLASSBOX_RETURN_IF_ERROR(add({line, EventState::kPending, i, span}));
      }
      return Status::Ok();
    });
  }
  std::vector<int64_t> Seqs() {
    std::vector<int64_t> seqs;
    EXPECT_TRUE(j_->Scan({}, [&](const StoredEvent& e) {
                    seqs.push_back(e.seq);
                    return true;
                  }).ok());
    return seqs;
  }
  static std::vector<std::string> Expected(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back(Line(i));
    return out;
  }
  int64_t AtLevel(int level) {
    std::string sql = "SELECT count(*) FROM blocks WHERE level = " + std::to_string(level);
    return Count(sql.c_str());
  }
  // Journal order across levels: every block of a higher level holds older events than every
  // block of a lower one (merges rely on it).
  int64_t OrderViolations() {
    return Count(
        "SELECT count(*) FROM blocks hi, blocks lo WHERE hi.level > lo.level AND "
        "hi.last_seq > lo.first_seq");
  }
};

TEST_F(BulkAppendTest, IntoAnEmptyJournalWholeBlocksAreWrittenAndSeqsContinue) {
  ASSERT_TRUE(Bulk(1, 40).ok());
  // 2 level-2 blocks straight from the events; the last 8 went to the tail and were sealed
  // into a level-1 block as before.
  EXPECT_EQ(AtLevel(2), 2);
  EXPECT_EQ(AtLevel(1), 1);
  EXPECT_EQ(TailRows(), 0);
  EXPECT_EQ(OrderViolations(), 0);
  EXPECT_EQ(Lines(), Expected(1, 40));
  std::vector<int64_t> seqs = Seqs();
  ASSERT_EQ(seqs.size(), 40u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int64_t>(i) + 1);
  std::vector<int64_t> next;
  std::string line = Line(41);
  ASSERT_TRUE(j_->Append({{line, EventState::kPending, 41, {}}}, &next).ok());
  EXPECT_EQ(next, std::vector<int64_t>{41});
  ASSERT_TRUE(Bulk(42, 60).ok());  // the tail holds event 41: these go through it
  EXPECT_EQ(Lines(), Expected(1, 60));
  seqs = Seqs();
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(std::adjacent_find(seqs.begin(), seqs.end()), seqs.end());
  std::string report;
  EXPECT_TRUE(j_->IntegrityCheck(&report).ok()) << report;
}

TEST_F(BulkAppendTest, BelowANonEmptyLevelWholeBlocksGoThereAndMergeUp) {
  ASSERT_TRUE(Bulk(1, 4).ok());  // held, then through the tail: sealed into a level-0 block
  ASSERT_EQ(TailRows(), 0);
  ASSERT_EQ(AtLevel(0), 1);
  ASSERT_TRUE(Bulk(5, 40).ok());  // level 0 is not empty: 9 whole level-0 blocks, then merged
  EXPECT_EQ(OrderViolations(), 0);
  EXPECT_EQ(AtLevel(2), 2);
  EXPECT_EQ(AtLevel(1), 1);
  EXPECT_EQ(AtLevel(0), 0);
  EXPECT_EQ(TailRows(), 0);
  EXPECT_EQ(Lines(), Expected(1, 40));
}

// A block being filled is held in memory with its compressed copy while the caller holds its
// own input, so a stream of very long lines closes blocks at 8 MiB instead of sealing's 32.
TEST_F(BulkAppendTest, BlocksOfVeryLongLinesCloseAtEightMiB) {
  options_.merge_blocks = 8;  // the defaults: level-2 blocks of up to 32 MiB when sealed
  options_.top_merge_blocks = 4;
  Reopen();
  const std::string pad(600 << 10, 'x');
  ASSERT_TRUE(j_->AppendFrom([&](const Journal::EventSink& add) {
                  for (int i = 1; i <= 24; ++i) {
                    std::string line =
                        R"({"event_id":"e)" + std::to_string(i) + R"(","p":")" + pad + "\"}";
                    GLASSBOX_RETURN_IF_ERROR(add({line, EventState::kPending, i, {}}));
                  }
                  return Status::Ok();
                }).ok());
  EXPECT_EQ(AtLevel(2), 1);  // 14 lines reach 8 MiB; the other 10 went through the tail
  EXPECT_LE(Count("SELECT max(raw_bytes) FROM blocks WHERE level = 2"), (8 << 20) + (601 << 10));
  EXPECT_EQ(Count("SELECT sum(count) FROM blocks") + TailRows(), 24);
}

TEST_F(BulkAppendTest, ASpanChangeSendsThatEventAndEveryLaterOneThroughTheTail) {
  // Events 1-16 make a whole block; 17-19 are held when event 20 opens a span, so they go to
  // the tail first, and 20-40 after them.
  ASSERT_TRUE(Bulk(1, 40, /*span_at=*/20).ok());
  EXPECT_EQ(Lines(), Expected(1, 40));
  EXPECT_EQ(OrderViolations(), 0);
  int spans = 0;
  ASSERT_TRUE(j_->ListSpans([&](const OpenSpan&) { return ++spans > 0; }).ok());
  EXPECT_EQ(spans, 1);
}

// A held tail (Options::hold_tail, a buffered recorder's) is older than every event of a bulk
// append and newer than every block: its rows go first into the append's first block, each
// compressed once, states kept. An append that fills no block leaves them where they are.
TEST_F(BulkAppendTest, AHeldTailGoesFirstIntoTheFirstBlockTheAppendFills) {
  options_.hold_tail = true;
  Reopen();
  CountWrittenBlocks();
  std::vector<int64_t> held = AppendRange(1, 5);
  ASSERT_TRUE(j_->SetStates({held[1]}, EventState::kSent, nullptr).ok());
  ASSERT_TRUE(Bulk(6, 10).ok());  // 10 events in all, a level-2 block is 16: all stay rows
  EXPECT_EQ(Blocks(), 0);
  EXPECT_EQ(TailRows(), 10);
  ASSERT_TRUE(detail::Exec(j_->db(),
                           "CREATE TEMP TABLE rows_written(seq); CREATE TEMP TRIGGER "
                           "count_rows AFTER INSERT ON main.tail BEGIN INSERT INTO "
                           "rows_written VALUES (new.seq); END;")
                  .ok());
  ASSERT_TRUE(Bulk(11, 20).ok());  // the 10 rows and 11-16 make one block; 17-20 stay rows
  // 11-16 went into the block without being tail rows first.
  EXPECT_EQ(Count("SELECT count(*) FROM rows_written WHERE seq BETWEEN 11 AND 16"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM rows_written"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE level = 2 AND first_seq = 1 AND "
                  "last_seq = 16 AND count = 16"),
            1);
  EXPECT_EQ(Blocks(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM temp.written"), 1);
  EXPECT_EQ(Count("SELECT min(seq) FROM tail"), 17);
  EXPECT_EQ(TailRows(), 4);
  EXPECT_EQ(Lines(), Expected(1, 20));
  EXPECT_EQ(Lines({.state = EventState::kSent}), std::vector<std::string>{Line(2)});
  std::vector<int64_t> one_to_twenty(20);
  std::iota(one_to_twenty.begin(), one_to_twenty.end(), 1);
  EXPECT_EQ(Seqs(), one_to_twenty);
  std::string report;
  EXPECT_TRUE(j_->IntegrityCheck(&report).ok()) << report;
}

TEST_F(BulkAppendTest, AFailedBulkAppendLeavesNoBlockAndNoSeqBehind) {
  ASSERT_FALSE(Bulk(1, 40, 0, /*fail_at=*/37).ok());  // after two whole blocks were written
  EXPECT_EQ(Blocks(), 0);
  EXPECT_TRUE(Lines().empty());
  std::vector<int64_t> seqs;
  std::string line = Line(1);
  ASSERT_TRUE(j_->Append({{line, EventState::kPending, 1, {}}}, &seqs).ok());
  EXPECT_EQ(seqs, std::vector<int64_t>{1});
}

TEST_F(JournalTest, AppendFromIsAllOrNothingAndLeavesNoFreePagesBehind) {
  const int n = 600;
  std::string padding(2000, 'x');  // big lines: their tail pages are freed when sealed
  auto produce = [&](int fail_after) {
    return [=](const Journal::EventSink& add) {
      for (int i = 1; i <= n; ++i) {
        if (i == fail_after) return Status::IoError("the bundle ran out");
        std::string line = R"({"event_id":"e)" + std::to_string(i) + R"(","p":")" + padding + "\"}";
        GLASSBOX_RETURN_IF_ERROR(add({line, EventState::kPending, i, {}}));
      }
      return Status::Ok();
    };
  };
  LedgerEntry ledger{0, "2026-01-01T00:00:00Z", "import", "a.gbx", 0, 0, "", "pending"};
  Status failed = j_->AppendFrom(produce(n / 2), &ledger);
  EXPECT_EQ(failed.message(), "the bundle ran out");
  EXPECT_TRUE(Lines().empty());
  EXPECT_EQ(Count("SELECT count(*) FROM ledger"), 0);

  int added = 0;
  auto counting = [&](const Journal::EventSink& add) {
    Status st = produce(0)([&](const NewEvent& e) {
      ++added;
      return add(e);
    });
    ledger.events = added;  // read by AppendFrom after this returns
    ledger.result = "ok";
    return st;
  };
  ASSERT_TRUE(j_->AppendFrom(counting, &ledger).ok());
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(n));
  EXPECT_THAT(lines.back(), HasSubstr(R"("event_id":"e600")"));
  std::vector<LedgerEntry> rows;
  ASSERT_TRUE(j_->ListLedger([&](const LedgerEntry& e) {
                  rows.push_back(e);
                  return true;
                }).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].events, n);
  EXPECT_EQ(rows[0].result, "ok");
  EXPECT_EQ(TailRows(), 0);  // sealed (seal_events is 4 here)
  EXPECT_EQ(Count("PRAGMA freelist_count"), 0);
}

TEST_F(JournalTest, ScanCanStopEarlyAcrossBlocksAndTail) {
  AppendRange(1, 6);
  int seen = 0;
  ASSERT_TRUE(j_->Scan({}, [&](const StoredEvent&) { return ++seen < 5; }).ok());
  EXPECT_EQ(seen, 5);
}

TEST_F(JournalTest, SetStatesChangesRowsInBlocksAndTail) {
  auto seqs = AppendRange(1, 6);  // 1-4 sealed, 5-6 in the tail
  ASSERT_EQ(Blocks(), 1);
  LedgerEntry ledger{0, "2026-01-01T00:00:00Z", "upload", "http://127.0.0.1/", 3, 100, "ab", "ok"};
  ASSERT_TRUE(j_->SetStates({seqs[1], seqs[3], seqs[5]}, EventState::kSent, &ledger).ok());
  ScanOptions sent;
  sent.state = EventState::kSent;
  EXPECT_THAT(Lines(sent), ElementsAre(Line(2), Line(4), Line(6)));
  auto counts = j_->CountStates();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->sent, 3);
  EXPECT_EQ(counts->pending, 3);
  EXPECT_EQ(counts->total(), 6);
  int ledger_rows = 0;
  ASSERT_TRUE(j_->ListLedger([&](const LedgerEntry& e) {
                  EXPECT_EQ(e.kind, "upload");
                  EXPECT_EQ(e.events, 3);
                  return ++ledger_rows > 0;
                }).ok());
  EXPECT_EQ(ledger_rows, 1);
}

TEST_F(JournalTest, StateChangeOfATailRowSurvivesSealing) {
  auto seqs = AppendRange(1, 3);
  ASSERT_TRUE(j_->SetStates({seqs[0]}, EventState::kExported, nullptr).ok());
  AppendRange(4, 4);  // seals 1-4
  ASSERT_EQ(Blocks(), 1);
  ScanOptions exported;
  exported.state = EventState::kExported;
  EXPECT_THAT(Lines(exported), ElementsAre(Line(1)));
}

TEST_F(JournalTest, DeleteInStateRemovesFromBlocksAndTailAndCounts) {
  auto seqs = AppendRange(1, 10);
  ASSERT_TRUE(j_->SetStates({seqs[0], seqs[1], seqs[2], seqs[3], seqs[5], seqs[9]},
                            EventState::kSent, nullptr)
                  .ok());
  LedgerEntry ledger{0, "2026-01-01T00:00:00Z", "delete", "purge sent", 0, 0, "", "ok"};
  int64_t deleted = -1;
  ASSERT_TRUE(j_->DeleteInState(EventState::kSent, &ledger, &deleted).ok());
  EXPECT_EQ(deleted, 6);
  EXPECT_EQ(Blocks(), 1);  // the all-sent block 1-4 is gone, 5-8 rewritten without 6
  EXPECT_THAT(Lines(), ElementsAre(Line(5), Line(7), Line(8), Line(9)));
  int64_t ledger_events = 0;
  ASSERT_TRUE(j_->ListLedger([&](const LedgerEntry& e) {
                  ledger_events = e.events;
                  return true;
                }).ok());
  EXPECT_EQ(ledger_events, 6);
}

TEST_F(JournalTest, DropOldBlocksDropsWholeOldBlocksAndCountsThem) {
  AppendRange(1, 10);  // blocks hold ms 1-4 and 5-8
  int64_t dropped = -1;
  ASSERT_TRUE(j_->DropOldBlocks(/*before_ms=*/6, 0, "retention_dropped", &dropped).ok());
  EXPECT_EQ(dropped, 4);  // block 5-8 still holds an event at or after 6 ms
  ASSERT_TRUE(j_->DropOldBlocks(/*before_ms=*/9, 0, "retention_dropped", &dropped).ok());
  EXPECT_EQ(dropped, 4);
  EXPECT_EQ(j_->Counter("retention_dropped").value(), 8);
  EXPECT_THAT(Lines(), ElementsAre(Line(9), Line(10)));
  ASSERT_TRUE(j_->DropOldBlocks(/*before_ms=*/100, 0, "retention_dropped", &dropped).ok());
  EXPECT_EQ(dropped, 0);  // tail rows are never dropped by retention of blocks
}

TEST_F(JournalTest, DropOldBlocksHonoursTheSizeLimit) {
  AppendRange(1, 12);
  int64_t dropped = -1;
  ASSERT_TRUE(j_->DropOldBlocks(0, /*max_bytes=*/1, "size_dropped", &dropped).ok());
  EXPECT_EQ(dropped, 12 - TailRows());
  EXPECT_EQ(Blocks(), 0);
  EXPECT_EQ(j_->Counter("size_dropped").value(), dropped);
}

TEST_F(JournalTest, SpansOpenWithTheirStartedLineAndCloseAtomically) {
  std::string started = Line(1), completed = Line(2);
  ASSERT_TRUE(
      j_->Append({{started, EventState::kPending, 10, {SpanChange::Kind::kOpen, "span-1"}}}).ok());
  auto span = j_->FindSpan("span-1");
  ASSERT_TRUE(span.ok());
  EXPECT_EQ(span->line, started);
  EXPECT_EQ(span->started_at_ms, 10);
  int listed = 0;
  ASSERT_TRUE(j_->ListSpans([&](const OpenSpan&) { return ++listed > 0; }).ok());
  EXPECT_EQ(listed, 1);
  ASSERT_TRUE(
      j_->Append({{completed, EventState::kPending, 20, {SpanChange::Kind::kClose, "span-1"}}})
          .ok());
  EXPECT_EQ(j_->FindSpan("span-1").status().code(), StatusCode::kNotFound);
  EXPECT_THAT(Lines(), ElementsAre(started, completed));
}

TEST_F(JournalTest, CountersStartAtZeroAndAdd) {
  EXPECT_EQ(j_->Counter("x").value(), 0);
  ASSERT_TRUE(j_->AddCounter("x", 2).ok());
  ASSERT_TRUE(j_->AddCounter("x", 3).ok());
  EXPECT_EQ(j_->Counter("x").value(), 5);
}

TEST_F(JournalTest, MetaIsStoredAndAbsentKeysAreNotFound) {
  EXPECT_EQ(j_->GetMeta("k").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(j_->SetMeta("k", "v1").ok());
  ASSERT_TRUE(j_->SetMeta("k", "v2").ok());
  EXPECT_EQ(j_->GetMeta("k").value(), "v2");
  EXPECT_EQ(j_->GetMeta("hmac_key").value().size(), 64u);
}

TEST_F(JournalTest, ReopeningKeepsEventsInstallIdAndEverything) {
  AppendRange(1, 6);
  ASSERT_TRUE(j_->AddCounter("c", 7).ok());
  std::string id = j_->install_id();
  EXPECT_FALSE(id.empty());
  Reopen();
  EXPECT_EQ(j_->install_id(), id);
  EXPECT_EQ(Lines().size(), 6u);
  EXPECT_EQ(j_->Counter("c").value(), 7);
  std::string report;
  EXPECT_TRUE(j_->IntegrityCheck(&report).ok());
  EXPECT_EQ(report, "ok");
}

// Several processes may create the same journal at once (four `record` runs started together).
// Switching a new file to WAL answers "locked" without the busy handler; opening must wait it
// out like any other lock, and every opener must end up with the one install id.
TEST_F(JournalTest, ManyOpenersCreatingOneJournalTogetherAllSucceed) {
  for (int round = 0; round < 150; ++round) {
    Options o = options_;
    o.path = dir_ + "/race" + std::to_string(round) + "/journal.db";
    std::vector<std::string> ids(4), errors(4);
    std::vector<std::thread> openers;
    for (size_t t = 0; t < ids.size(); ++t) {
      openers.emplace_back([&, t] {
        auto j = Journal::Open(o);
        if (j.ok()) {
          ids[t] = j.value()->install_id();
        } else {
          errors[t] = j.status().message();
        }
      });
    }
    for (auto& t : openers) t.join();
    for (size_t t = 0; t < ids.size(); ++t) {
      ASSERT_EQ(errors[t], "") << "round " << round;
      EXPECT_EQ(ids[t], ids[0]);
    }
  }
}

TEST_F(JournalTest, FilesArePrivate) {
  AppendRange(1, 1);
  EXPECT_EQ(fs::status(options_.path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(dir_ + "/sub").permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(JournalTest, NewerFormatVersionIsRefused) {
  ASSERT_TRUE(detail::Exec(j_->db(), "PRAGMA user_version = 99").ok());
  j_.reset();
  auto j = Journal::Open(options_);
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(j.status().message(), HasSubstr("newer than this glassbox understands"));
}

TEST_F(JournalTest, SeqsAreNeverGivenOutAgainAfterTheNewestEventsAreDeleted) {
  // Two sealed blocks and a tail row, all sent, then all deleted: nothing is left to show the
  // largest seq but meta seq_floor.
  std::vector<int64_t> seqs = AppendRange(1, 9);
  ASSERT_TRUE(j_->SetStates(seqs, EventState::kSent, nullptr).ok());
  int64_t deleted = 0;
  ASSERT_TRUE(j_->DeleteInState(EventState::kSent, nullptr, &deleted).ok());
  ASSERT_EQ(deleted, 9);
  ASSERT_EQ(Blocks() + TailRows(), 0);
  auto last = j_->LastSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last.value(), seqs.back());
  Reopen();
  EXPECT_THAT(AppendRange(10, 10), ElementsAre(seqs.back() + 1));

  // The same through retention: the only block, the newest events, dropped by age.
  j_.reset();
  fs::remove_all(dir_ + "/sub");
  Reopen();
  seqs = AppendRange(1, 4);  // one sealed block, an empty tail
  ASSERT_EQ(TailRows(), 0);
  int64_t dropped = 0;
  ASSERT_TRUE(j_->DropOldBlocks(/*before_ms=*/100, 0, "retention_dropped", &dropped).ok());
  ASSERT_EQ(dropped, 4);
  EXPECT_THAT(AppendRange(5, 5), ElementsAre(seqs.back() + 1));
}

// Opens the file with plain SQLite: its format version, as a reader left it.
int FormatVersionOf(const std::string& path) {
  sqlite3* db = nullptr;
  int v = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    detail::Stmt s;
    Status st;
    if (s.Prepare(db, "PRAGMA user_version").ok() && s.Step(&st)) v = static_cast<int>(s.Int(0));
  }
  sqlite3_close(db);
  return v;
}

// A format-1 journal as glassbox wrote it until 2026-11-27: AUTOINCREMENT numbered the tail,
// and sqlite_sequence held the high-water mark (here above every row left).
void WriteFormat1Journal(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(detail::Exec(db, R"sql(
PRAGMA journal_mode = WAL;
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE tail(seq INTEGER PRIMARY KEY AUTOINCREMENT, state INTEGER NOT NULL,
  recorded_ms INTEGER NOT NULL, line BLOB NOT NULL);
CREATE TABLE blocks(id INTEGER PRIMARY KEY, level INTEGER NOT NULL, first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, count INTEGER NOT NULL, min_ms INTEGER NOT NULL,
  max_ms INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, seqs BLOB NOT NULL,
  states BLOB NOT NULL, body BLOB NOT NULL);
CREATE INDEX blocks_last_seq ON blocks(last_seq);
CREATE INDEX blocks_level ON blocks(level, first_seq);
CREATE TABLE spans(span_id TEXT PRIMARY KEY, started_ms INTEGER NOT NULL,
  line BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE ledger(id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL,
  destination TEXT NOT NULL, events INTEGER NOT NULL, bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL, result TEXT NOT NULL);
CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('install_id', '0192f0c4-0000-7000-8000-000000000001'),
  ('created_at', '2026-11-20T10:00:00.000Z'), ('hmac_key', printf('%.64c', 'a'));
INSERT INTO tail(state, recorded_ms, line) VALUES (0, 1, '{"event_id":"e1"}'),
  (1, 2, '{"event_id":"e2"}'), (0, 3, '{"event_id":"e3"}'), (0, 4, '{"event_id":"e4"}');
DELETE FROM tail WHERE seq = 4;
PRAGMA user_version = 1;
)sql")
                  .ok());
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

TEST_F(JournalTest, AFormat1JournalIsReadAsItIsAndMigratedByAWriter) {
  j_.reset();
  fs::remove_all(dir_ + "/sub");
  WriteFormat1Journal(options_.path);

  auto reader = OpenReadOnly();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(CountEvents(*reader), 3);
  reader.reset();
  EXPECT_EQ(FormatVersionOf(options_.path), 1);  // a reader does not migrate

  Reopen();
  EXPECT_EQ(Count("SELECT user_version FROM pragma_user_version"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_schema WHERE name = 'tail_v1'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_sequence WHERE name LIKE 'tail%'"), 0);
  EXPECT_THAT(Lines(),
              ElementsAre(R"({"event_id":"e1"})", R"({"event_id":"e2"})", R"({"event_id":"e3"})"));
  EXPECT_EQ(Lines({.state = EventState::kSent}).size(), 1u);
  // The old rows keep their recorded time (retention counts by it).
  int64_t deleted = 0;
  ASSERT_TRUE(j_->DeleteInStateBefore(EventState::kPending, 2, "", nullptr, &deleted).ok());
  EXPECT_EQ(deleted, 1);
  auto last = j_->LastSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last.value(), 4);  // seq 4 was given out, then deleted
  EXPECT_THAT(AppendRange(5, 5), ElementsAre(5));
}

// A host process that opened the journal before the upgrade keeps its format-1 statement. It
// must fail, not let SQLite number its row after the tail's largest seq (here: none, so 1,
// a seq that is already in a block).
TEST_F(JournalTest, AFormat1WriterStillConnectedFailsAfterTheMigration) {
  j_.reset();
  fs::remove_all(dir_ + "/sub");
  WriteFormat1Journal(options_.path);
  sqlite3* old_writer = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &old_writer), SQLITE_OK);
  detail::Stmt old_insert;
  ASSERT_TRUE(
      old_insert
          .Prepare(old_writer, "INSERT INTO tail(state, recorded_ms, line) VALUES (0, 9, 'x')")
          .ok());

  Reopen();
  ASSERT_TRUE(j_->Seal().ok());  // every event into a block, the tail empty
  ASSERT_EQ(TailRows(), 0);
  EXPECT_FALSE(old_insert.Exec().ok());
  old_insert = detail::Stmt();
  sqlite3_close(old_writer);
  EXPECT_EQ(TailRows(), 0);
  EXPECT_THAT(AppendRange(5, 5), ElementsAre(5));
}

TEST_F(JournalTest, AFormat2JournalIsReadAsItIsAndMigratedByAWriter) {
  auto seqs = AppendRange(1, 10);  // blocks 1-4 and 5-8, tail 9-10
  ASSERT_TRUE(j_->SetStates({seqs[1], seqs[5]}, EventState::kSent, nullptr).ok());
  j_.reset();
  DowngradeToFormat2(options_.path);

  auto reader = OpenReadOnly();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(CountEvents(*reader), 10);
  EXPECT_EQ(reader->CountStates().value().sent, 2);
  reader.reset();
  EXPECT_EQ(FormatVersionOf(options_.path), 2);  // a reader does not migrate

  Reopen();
  EXPECT_EQ(Count("SELECT user_version FROM pragma_user_version"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM pragma_table_info('blocks') "
                  "WHERE name IN ('seq_runs', 'state_runs')"),
            2);
  EXPECT_EQ(Lines().size(), 10u);
  EXPECT_EQ(Lines({.state = EventState::kSent}).size(), 2u);
  ASSERT_EQ(Count("SELECT count(*) FROM blocks WHERE substr(state_runs, 1, 1) = x'ff'"), 0);
  // Changing a state writes the block's list anew, as runs.
  ASSERT_TRUE(j_->SetStates({seqs[0]}, EventState::kSent, nullptr).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM blocks WHERE substr(state_runs, 1, 1) = x'ff'"), 1);
  EXPECT_EQ(j_->CountStates().value().sent, 3);
  EXPECT_THAT(AppendRange(11, 11), ElementsAre(11));
}

// As with format 1: a process that opened the journal before the upgrade keeps its format-2
// statements. They must fail as errors, not read a run list as a damaged list (which would
// move the journal aside).
TEST_F(JournalTest, AFormat2ProcessStillConnectedGetsAnErrorNotDamage) {
  AppendRange(1, 10);
  j_.reset();
  DowngradeToFormat2(options_.path);
  sqlite3* old_process = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &old_process), SQLITE_OK);
  detail::Stmt old_scan;
  ASSERT_TRUE(old_scan.Prepare(old_process, "SELECT first_seq, seqs, states FROM blocks").ok());

  Reopen();
  AppendRange(11, 20);  // new blocks, with run lists
  Status st;
  EXPECT_FALSE(old_scan.Step(&st));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.code(), StatusCode::kCorruption) << st.message();
  old_scan = detail::Stmt();
  sqlite3_close(old_process);
}

// A block's lists are runs: a few bytes whatever its size (format 2: two bytes per event).
TEST_F(JournalTest, ABlocksListsAreRuns) {
  AppendRange(1, 12);
  ASSERT_TRUE(j_->Seal().ok());
  EXPECT_EQ(Count("SELECT max(length(seq_runs)) FROM blocks"), 3);
  EXPECT_EQ(Count("SELECT max(length(state_runs)) FROM blocks"), 3);
}

// Sealing and merging leave the pages they free unzeroed (secure_delete = FAST while rows
// move), so a free page can hold an older copy of an event; deleting that event must leave no
// copy anywhere in the file.
TEST_F(JournalTest, DeletedEventsLeaveNoCopyInTheFile) {
  auto line = [](int i) {  // a page each, so a seal frees whole pages
    return R"({"event_id":"e)" + std::to_string(i) + R"(","path":"/home/ZQXMARK)" +
           std::to_string(1000 + i) + R"(/notes","pad":")" + std::string(3000, 'p') + R"("})";
  };
  std::vector<int64_t> seqs;
  for (int i = 1; i <= 40; ++i) {  // tail rows sealed into level-0 blocks, merged into level 1
    ASSERT_TRUE(j_->Append({{line(i), EventState::kPending, i, {}}}, &seqs).ok());
  }
  ASSERT_GT(Blocks(), 0);
  // What makes this test mean something: pages that a seal or merge freed, unzeroed.
  ASSERT_GT(Count("PRAGMA freelist_count"), 0);
  ASSERT_TRUE(j_->SetStates(seqs, EventState::kSent, nullptr).ok());
  int64_t deleted = 0;
  ASSERT_TRUE(j_->DeleteInState(EventState::kSent, nullptr, &deleted).ok());
  ASSERT_EQ(deleted, 40);
  std::string bytes = FileBytesAfterCheckpoint();
  ASSERT_GT(bytes.size(), 0u);
  EXPECT_EQ(bytes.find("ZQXMARK"), std::string::npos);

  // Retention drops whole blocks: the same.
  seqs.clear();
  for (int i = 41; i <= 48; ++i) {
    ASSERT_TRUE(j_->Append({{line(i), EventState::kPending, i, {}}}, &seqs).ok());
  }
  ASSERT_EQ(TailRows(), 0);
  int64_t dropped = 0;
  ASSERT_TRUE(j_->DropOldBlocks(/*before_ms=*/1000, 0, "retention_dropped", &dropped).ok());
  ASSERT_EQ(dropped, 8);
  EXPECT_EQ(FileBytesAfterCheckpoint().find("ZQXMARK"), std::string::npos);
}

TEST_F(JournalTest, ReadOnlyOpenSeesEventsAndCannotWrite) {
  AppendRange(1, 2);
  auto reader = OpenReadOnly();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(CountEvents(*reader), 2);
  std::string line = Line(3);
  EXPECT_FALSE(reader->Append({{line, EventState::kPending, 3, {}}}).ok());
}

TEST_F(JournalTest, SymlinkedJournalIsRefused) {
  j_.reset();
  std::string link = dir_ + "/link.db";
  fs::create_symlink(options_.path, link);
  Options o = options_;
  o.path = link;
  auto j = Journal::Open(o);
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(j.status().message(), HasSubstr("symlink"));
}

TEST(BlockCodec, SequenceListsRoundTrip) {
  std::vector<int64_t> seqs = {5, 6, 7, 200, 100000, 100001, int64_t{1} << 40};
  std::vector<int64_t> back;
  ASSERT_TRUE(detail::DecodeSeqs(detail::EncodeSeqs(seqs), 5, &back));
  EXPECT_EQ(back, seqs);
  std::string truncated = detail::EncodeSeqs({1, 1000});
  truncated.pop_back();  // ends inside a varint
  EXPECT_FALSE(detail::DecodeSeqs(truncated, 1, &back));
}

// Found by fuzz_block: two huge deltas overflowed the running sum (undefined behaviour).
TEST(BlockCodec, DamagedSequenceListsAreRefusedNotOverflowed) {
  std::vector<int64_t> back;
  std::string huge = "\xff\xff\xff\xff\xff\xff\xff\xff\x7f";  // a 63-bit delta
  EXPECT_FALSE(detail::DecodeSeqs(huge + huge, 1, &back));
  EXPECT_FALSE(detail::DecodeSeqs(std::string("\x01\x00", 2), 1, &back));  // repeated seq
  std::vector<int64_t> top = {INT64_MAX - 1, INT64_MAX};
  ASSERT_TRUE(detail::DecodeSeqs(detail::EncodeSeqs(top), INT64_MAX - 1, &back));
  EXPECT_EQ(back, top);
}

TEST(BlockCodec, RunListsAreSmallAndRoundTrip) {
  std::vector<int64_t> seqs(4096);
  std::iota(seqs.begin(), seqs.end(), 1000);
  std::string seq_runs = detail::EncodeSeqs(seqs);
  EXPECT_LE(seq_runs.size(), 4u);
  std::vector<int64_t> back;
  ASSERT_TRUE(detail::DecodeSeqs(seq_runs, 1000, &back));
  EXPECT_EQ(back, seqs);
  std::string states(4096, '\0');
  std::fill(states.begin(), states.begin() + 500, '\x01');
  std::string state_runs = detail::EncodeStates(states);
  EXPECT_LE(state_runs.size(), 7u);
  std::string states_back;
  ASSERT_TRUE(detail::DecodeStates(state_runs, &states_back));
  EXPECT_EQ(states_back, states);
  ASSERT_TRUE(detail::DecodeStates(detail::EncodeStates(""), &states_back));
  EXPECT_EQ(states_back, "");
}

// Format 2 stored one entry per event; such lists are read as they are.
TEST(BlockCodec, Format2ListsAreStillRead) {
  std::vector<int64_t> seqs;
  ASSERT_TRUE(detail::DecodeSeqs(std::string("\x01\x01\x05", 3), 10, &seqs));
  EXPECT_EQ(seqs, (std::vector<int64_t>{10, 11, 16}));
  std::string states;
  ASSERT_TRUE(detail::DecodeStates(std::string("\x00\x01\x03", 3), &states));
  EXPECT_EQ(states, std::string("\x00\x01\x03", 3));
}

TEST(BlockCodec, DamagedRunListsAreRefused) {
  std::vector<int64_t> seqs;
  std::string states;
  EXPECT_FALSE(detail::DecodeSeqs(std::string("\x00\x01", 2), 1, &seqs));      // a gap, no run
  EXPECT_FALSE(detail::DecodeSeqs(std::string("\x00\x00\x00", 3), 1, &seqs));  // a gap of 0
  EXPECT_FALSE(detail::DecodeSeqs(std::string("\x00\x01\x05", 3), INT64_MAX - 2, &seqs));
  const std::string four_billion = "\xff\xff\xff\xff\x0f";  // more than a block holds
  EXPECT_FALSE(detail::DecodeSeqs(std::string("\x00\x01", 2) + four_billion, 1, &seqs));
  EXPECT_FALSE(detail::DecodeStates(std::string("\xff\x00\x00", 3), &states));  // a run of 0
  EXPECT_FALSE(detail::DecodeStates(std::string("\xff\x00", 2), &states));      // state, no run
  EXPECT_FALSE(detail::DecodeStates(std::string("\xff\x00", 2) + four_billion, &states));
  EXPECT_FALSE(detail::DecodeBlockLists(
      detail::EncodeSeqs({1, 2}), 1, detail::EncodeStates(std::string(3, '\0')), &seqs, &states));
  EXPECT_FALSE(detail::DecodeBlockLists(detail::EncodeSeqs({}), 1, detail::EncodeStates(""), &seqs,
                                        &states));  // a block of no events
  EXPECT_FALSE(detail::DecodeSeqs(std::string("\x00\x01\x00", 3), 0, &seqs));
  EXPECT_FALSE(detail::DecodeSeqs(std::string("\x00\x01\x00", 3), INT64_MIN, &seqs));
}

TEST(BlockCodec, FramesRoundTripAndRespectTheOutputLimit) {
  std::string body;
  for (int i = 0; i < 100; ++i) body += R"({"event_id":")" + std::to_string(i) + "\"}\n";
  auto frame = detail::CompressBlock(body, 3);
  ASSERT_TRUE(frame.ok());
  EXPECT_LT(frame->size(), body.size());
  EXPECT_EQ(detail::DecompressBlock(frame.value(), 1 << 20).value(), body);
  EXPECT_EQ(detail::DecompressBlock(frame.value(), body.size() - 1).status().code(),
            StatusCode::kCorruption);
  EXPECT_FALSE(detail::DecompressBlock("not a frame", 1 << 20).ok());
}

// Each thread keeps a compression context per level (the two used last): a frame must not
// depend on what the thread compressed before it.
TEST(BlockCodec, FramesDoNotDependOnWhatTheThreadCompressedBefore) {
  std::string small, large;
  for (int i = 0; i < 100; ++i) small += R"({"event_id":")" + std::to_string(i) + "\"}\n";
  for (int i = 0; i < 20000; ++i) large += R"({"event_id":")" + std::to_string(i * 31) + "\"}\n";
  auto first = detail::CompressBlock(small, 3);
  ASSERT_TRUE(first.ok());
  for (int level : {8, 3, 8, 1, 3, 19}) {
    auto other = detail::CompressBlock(large, level);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(detail::DecompressBlock(other.value(), 1 << 22).value(), large) << level;
    auto again = detail::CompressBlock(small, 3);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value(), first.value()) << "after level " << level;
  }
}

// A merge appends several blocks' texts to one body.
TEST(BlockCodec, TextsAppendToWhatTheBufferHolds) {
  std::string a = "{\"event_id\":\"a\"}\n", b = "{\"event_id\":\"b\"}\n";
  std::string out = "kept";
  ASSERT_TRUE(detail::AppendBlockText(detail::CompressBlock(a, 3).value(), 1 << 20, &out).ok());
  ASSERT_TRUE(detail::AppendBlockText(detail::CompressBlock(b, 8).value(), 1 << 20, &out).ok());
  EXPECT_EQ(out, "kept" + a + b);
  EXPECT_FALSE(detail::AppendBlockText("not a frame", 1 << 20, &out).ok());
  ASSERT_TRUE(detail::DecompressBlockInto(detail::CompressBlock(b, 3).value(), 1 << 20, &out).ok());
  EXPECT_EQ(out, b);  // Into replaces what was there
}

// Event-shaped text: repeated keys, a few commands and plugins, hex digests (some repeated,
// as a project's are), ids and times that change a little from line to line.
std::string EventBlockText(int events) {
  std::mt19937_64 rng(7);
  auto hex = [&](int digits, uint64_t seed) {
    std::mt19937_64 r(seed);
    std::string out;
    for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[r() % 16];
    return out;
  };
  const char* commands[] = {"run", "elt", "invoke", "select", "install", "add", "config"};
  const char* plugins[] = {"tap-github", "tap-postgres", "target-jsonl", "tap-mysql", "dbt"};
  std::string text;
  for (int i = 0; i < events; ++i) {
    // Drawn one statement at a time: the operands of `+` may be evaluated in any order.
    std::string id = "01a25404-6c54-7" + hex(3, rng());
    id += "-" + hex(4, rng());
    id += "-" + hex(12, rng());
    std::string args = hex(32, rng() % 40);
    const char* command = commands[rng() % 7];
    std::string config = hex(32, rng());
    const char* plugin = plugins[rng() % 5];
    std::string project = hex(64, rng() % 20);
    text += R"({"event_id":")" + id +
            R"(","schema":"iglu:dev.glassbox/cli_event/jsonschema/1-0-0",)" +
            R"("phase":"single","recorded_at":"2026-12-08T04:58:)" + std::to_string(10 + i / 1000) +
            "." + std::to_string(100 + i % 900) + R"(Z","data":{"args":[")" + args +
            R"("],"command":")" + command + R"(","plugins":[{"config":")" + config +
            R"(","name":")" + plugin + R"(","variant":"meltano"}],"project_config":")" + project +
            R"("},"context":{"arch":"x86_64",)" +
            R"("install_id":"01a25404-6c53-73ad-8013-7c5e71a09585","os_name":"Linux"}})" + "\n";
  }
  return text;
}

// Blocks above level 0 are compressed at the merge level with a minimum match of 6 bytes,
// chosen to make them as small as zstd's level 8 did (with its defaults) in less time.
TEST(BlockCodec, MergedEventBlocksAreAsSmallAsZstdLevel8Makes) {
  const std::string text = EventBlockText(4096);
  auto ours = detail::CompressBlock(text, Options{}.merge_compression_level);
  ASSERT_TRUE(ours.ok());
  std::string level8(ZSTD_compressBound(text.size()), '\0');
  size_t n = ZSTD_compress(level8.data(), level8.size(), text.data(), text.size(), 8);
  ASSERT_FALSE(ZSTD_isError(n));
  EXPECT_LE(static_cast<double>(ours->size()), 1.01 * static_cast<double>(n))
      << "level-8 frame " << n << " bytes";
  EXPECT_EQ(detail::DecompressBlock(ours.value(), text.size()).value(), text);
}

TEST(BlockCodec, AFlippedByteInAFrameIsDetected) {
  std::string body;
  for (int i = 0; i < 50; ++i) body += R"({"event_id":")" + std::to_string(i * 7919) + "\"}\n";
  auto frame = detail::CompressBlock(body, 3);
  ASSERT_TRUE(frame.ok());
  for (size_t at = 0; at < frame->size(); ++at) {
    std::string bad = frame.value();
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    auto out = detail::DecompressBlock(bad, 1 << 20);
    EXPECT_TRUE(!out.ok() || out.value() == body) << "undetected flip at byte " << at;
  }
}

// A NULL column (found in a damaged journal by fuzz_salvage) reads as an empty view with a
// pointer: simdjson and memcpy must never be handed a null one.
TEST(StmtText, ANullColumnIsAnEmptyViewThatPointsSomewhere) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  {
    detail::Stmt s;
    ASSERT_TRUE(s.Prepare(db, "SELECT NULL, x'', 'ab'").ok());
    Status st;
    ASSERT_TRUE(s.Step(&st));
    for (int col : {0, 1}) {
      EXPECT_TRUE(s.Text(col).empty()) << col;
      EXPECT_NE(s.Text(col).data(), nullptr) << col;
    }
    EXPECT_EQ(s.Text(2), "ab");
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace glassbox::journal
