// Damage detection, moving aside, salvage and the fresh start.
#include "journal/recovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/ids.h"
#include "journal/block_codec.h"
#include "journal/consent.h"
#include "journal/salvage.h"
#include "journal/sqlite_util.h"
#include "tests/journal/count_events.h"
#include "tests/journal/format2.h"

namespace glassbox::journal {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/glassbox-recovery-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.path = dir_ + "/journal.db";
    options_.seal_events = 4;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A closed journal with `n` events (sealed into blocks of 4 plus a tail), a ledger entry, a
  // counter, an open span and consent `local`; returns its install id.
  std::string Build(int n) {
    auto j = Journal::Open(options_);
    EXPECT_TRUE(j.ok()) << j.status().message();
    for (int i = 1; i <= n; ++i) {
      std::string line = Line(i);
      EXPECT_TRUE(j.value()->Append({{line, EventState::kPending, i, {}}}).ok());
    }
    std::string started = Line(1000);
    EXPECT_TRUE(
        j.value()
            ->Append({{started, EventState::kPending, 1000, {SpanChange::Kind::kOpen, "s1"}}})
            .ok());
    EXPECT_TRUE(
        j.value()->AppendLedger({0, "2026-01-01T00:00:00Z", "upload", "x", 1, 2, "", "ok"}).ok());
    EXPECT_TRUE(j.value()->AddCounter("retention_dropped", 3).ok());
    EXPECT_TRUE(StoreConsent(*j.value(), Consent::kLocal).ok());
    return j.value()->install_id();
  }
  static std::string Line(int i) {
    return R"({"event_id":"e)" + std::to_string(i) +
           R"(","recorded_at":"2026-01-01T00:00:00.000Z"})";
  }
  void Damage(int64_t offset, const std::string& bytes) {
    std::fstream f(options_.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  void ExpectQuickCheckFindsDamageAtOpen() {
    auto j = Journal::Open(options_);
    ASSERT_FALSE(j.ok());
    EXPECT_TRUE(IsDamage(j.status())) << j.status().message();
    EXPECT_THAT(j.status().message(), HasSubstr("quick_check"));
  }
  std::unique_ptr<Journal> OpenRecovering(RecoveryReport* report) {
    auto j = OpenOrRecover(options_, report);
    EXPECT_TRUE(j.ok()) << j.status().message();
    return j.ok() ? std::move(j.value()) : nullptr;
  }
  static void FlipBlockByte(sqlite3* db, int64_t first_seq, size_t at) {
    detail::Stmt get, put;
    ASSERT_TRUE(get.Prepare(db, "SELECT body FROM blocks WHERE first_seq = ?").ok());
    get.Bind(1, first_seq);
    Status st;
    ASSERT_TRUE(get.Step(&st));
    std::string body(get.Text(0));
    body[at] = static_cast<char>(body[at] ^ 0xFF);
    ASSERT_TRUE(put.Prepare(db, "UPDATE blocks SET body = ? WHERE first_seq = ?").ok());
    put.BindBlob(1, body);
    put.Bind(2, first_seq);
    ASSERT_TRUE(put.Exec().ok());
  }
  std::vector<std::string> SetAside() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string name = e.path().filename().string();
      if (name.find(".corrupt-") != std::string::npos && name.find("-wal") == std::string::npos) {
        names.push_back(e.path().string());
      }
    }
    return names;
  }

  // Each stored event's seq and event id, in journal order.
  using SeqIds = std::vector<std::pair<int64_t, std::string>>;
  static SeqIds IdsBySeq(const Journal& j) {
    SeqIds ids;
    EXPECT_TRUE(j.Scan({}, [&](const StoredEvent& e) {
                   ids.emplace_back(e.seq, nlohmann::json::parse(e.line)["event_id"]);
                   return true;
                 }).ok());
    return ids;
  }

  std::string dir_;
  Options options_;
};

// data/keys-out-of-order.db.zst: a journal damaged by the in-process lock loss fixed on
// 2026-11-26. A page of its tail table holds keys out of order, so searching for seq 1162 lands
// on 1158; salvage used to resume from there and read the same rows forever (a recorder hung
// inside record()). It must finish and keep every readable event.
TEST_F(RecoveryTest, SalvageEndsWhenDamageLeavesKeysOutOfOrder) {
  std::ifstream in(GLASSBOX_JOURNAL_TEST_DATA "/keys-out-of-order.db.zst", std::ios::binary);
  std::string frame((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto db = detail::DecompressBlock(frame, 1 << 20);
  ASSERT_TRUE(db.ok()) << db.status().message();
  {
    std::ofstream out(options_.path, std::ios::binary);
    out << db.value();
  }
  fs::permissions(options_.path, fs::perms::owner_read | fs::perms::owner_write);
  RecoveryReport report;
  auto j = OpenRecovering(&report);
  ASSERT_NE(j, nullptr);
  EXPECT_THAT(report.reason, HasSubstr("quick_check"));
  EXPECT_EQ(report.salvaged_events, 1208);
  EXPECT_EQ(CountEvents(*j), 1208);
}

TEST_F(RecoveryTest, HealthyJournalIsNotTouched) {
  Build(10);
  RecoveryReport report;
  auto j = OpenRecovering(&report);
  EXPECT_TRUE(report.reason.empty());
  EXPECT_EQ(CountEvents(*j), 11);
  EXPECT_TRUE(SetAside().empty());
}

TEST_F(RecoveryTest, ZeroedHeaderIsMovedAsideAndEverythingIsSalvaged) {
  std::string install_id = Build(10);
  Damage(0, std::string(100, '\0'));
  RecoveryReport report;
  auto j = OpenRecovering(&report);
  EXPECT_THAT(report.reason, HasSubstr("not a database"));
  EXPECT_EQ(report.salvaged_events, 11);
  EXPECT_TRUE(report.meta_salvaged);
  EXPECT_EQ(CountEvents(*j), 11);
  EXPECT_EQ(j->install_id(), install_id);
  EXPECT_EQ(EffectiveConsent(*j), Consent::kLocal);
  EXPECT_EQ(j->Counter("retention_dropped").value(), 3);
  EXPECT_TRUE(j->FindSpan("s1").ok());
  std::vector<std::string> kinds;
  ASSERT_TRUE(j->ListLedger([&](const LedgerEntry& e) {
                 kinds.push_back(e.kind);
                 return true;
               }).ok());
  EXPECT_EQ(kinds, (std::vector<std::string>{"upload", "recovery"}));
  auto aside = SetAside();
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(aside[0], report.moved_to);
  EXPECT_EQ(fs::status(aside[0]).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::string integrity;
  EXPECT_TRUE(j->IntegrityCheck(&integrity).ok());
}

// Salvage reads the blocks of every format: format 3 renamed the list columns.
TEST_F(RecoveryTest, AFormat2JournalIsSalvagedWhole) {
  Build(10);
  DowngradeToFormat2(options_.path);
  Damage(0, std::string(100, '\0'));
  RecoveryReport report;
  auto j = OpenRecovering(&report);
  EXPECT_EQ(report.salvaged_events, 11);
  EXPECT_EQ(report.unreadable, 0);
  EXPECT_EQ(CountEvents(*j), 11);
}

TEST_F(RecoveryTest, TruncatedFileIsDetectedAtOpen) {
  Build(40);
  fs::resize_file(options_.path, fs::file_size(options_.path) / 2);
  auto plain = Journal::Open(options_);
  ASSERT_FALSE(plain.ok());
  EXPECT_TRUE(IsDamage(plain.status())) << plain.status().message();
  RecoveryReport report;
  auto j = OpenRecovering(&report);
  EXPECT_FALSE(report.reason.empty());
  EXPECT_EQ(CountEvents(*j), report.salvaged_events);
}

TEST_F(RecoveryTest, DamagedBlockIsFoundByTheDeepCheckAndOnlyItsEventsAreLost) {
  Build(10);  // blocks 1-4, 5-8; tail 9, 10, span start
  {
    auto j = Journal::Open(options_);
    ASSERT_TRUE(j.ok());
    FlipBlockByte(j.value()->db(), /*first_seq=*/1, /*at=*/20);
    DeepCheckResult check;
    ASSERT_TRUE(DeepCheck(*j.value(), &check).ok());
    EXPECT_FALSE(check.ok());
    EXPECT_THAT(check.problem, HasSubstr("zstd"));
    FileId judged = FileId::Of(options_.path);
    j.value()->Abandon();
    j.value().reset();
    RecoveryReport report;
    ASSERT_TRUE(Recover(options_, check.problem, judged, &report).ok());
    EXPECT_EQ(report.salvaged_events, 7);
    EXPECT_EQ(report.unreadable, 1);
  }
  auto fresh = Journal::Open(options_);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(CountEvents(*fresh.value()), 7);
  DeepCheckResult check;
  ASSERT_TRUE(DeepCheck(*fresh.value(), &check).ok());
  EXPECT_TRUE(check.ok()) << check.problem;
}

// A replay interrupted mid-batch left its range in meta (replay.inflight, "AFTER THROUGH
// SHA256"); the next run resends exactly those events with the same key. Salvage once
// renumbered the events from 1, so the range named other events.
TEST_F(RecoveryTest, SalvagedEventsKeepTheirSeqsSoAnInterruptedBatchStillNamesThem) {
  Build(10);  // blocks 1-4, 5-8; tail 9, 10, span start 11
  {
    auto j = Journal::Open(options_);
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE(j.value()->SetMeta("replay.inflight", "6 9 abc").ok());
    FlipBlockByte(j.value()->db(), /*first_seq=*/1, /*at=*/20);  // events 1-4 are lost
    FileId judged = FileId::Of(options_.path);
    j.value()->Abandon();
    j.value().reset();
    RecoveryReport report;
    ASSERT_TRUE(Recover(options_, "test: damaged block", judged, &report).ok());
    ASSERT_EQ(report.salvaged_events, 7);
  }
  auto fresh = Journal::Open(options_);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(
      IdsBySeq(*fresh.value()),
      (SeqIds{{5, "e5"}, {6, "e6"}, {7, "e7"}, {8, "e8"}, {9, "e9"}, {10, "e10"}, {11, "e1000"}}));
  EXPECT_EQ(fresh.value()->GetMeta("replay.inflight").value(), "6 9 abc");
  ASSERT_TRUE(fresh.value()->Append({{Line(11), EventState::kPending, 11, {}}}).ok());
  EXPECT_EQ(fresh.value()->LastSeq().value(), 12);
}

TEST_F(RecoveryTest, ASalvagedSeqThatRepeatsGetsTheNextFreeOne) {
  detail::Salvage salvage;
  for (auto [seq, i] : std::vector<std::pair<int64_t, int>>{{3, 1}, {3, 2}, {4, 3}, {9, 4}}) {
    salvage.events.push_back({seq, EventState::kPending, i, Line(i)});
  }
  auto fresh = Journal::Open(options_);
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE(detail::WriteSalvage(*fresh.value(), salvage).ok());
  EXPECT_EQ(IdsBySeq(*fresh.value()), (SeqIds{{3, "e1"}, {4, "e2"}, {5, "e3"}, {9, "e4"}}));
}

TEST_F(RecoveryTest, RowThatIsNotAnEventIsFoundByTheDeepCheck) {
  Build(2);
  auto j = Journal::Open(options_);
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE(detail::Exec(j.value()->db(), "UPDATE tail SET line = x'7bff' WHERE seq = 1").ok());
  DeepCheckResult check;
  ASSERT_TRUE(DeepCheck(*j.value(), &check).ok());
  EXPECT_THAT(check.problem, HasSubstr("1 stored row(s) are not events"));
}

// LooksLikeEvent asks simdjson first and nlohmann for what simdjson refuses; its verdicts are
// those of the nlohmann-only check it replaced, on rows either parser treats apart.
TEST(LooksLikeEvent, AgreesWithTheNlohmannCheck) {
  auto reference = [](std::string_view line) {
    auto v = nlohmann::json::parse(line, nullptr, false);
    if (v.is_discarded() || !v.is_object()) return false;
    auto id = v.find("event_id");
    return id != v.end() && id->is_string();
  };
  const std::string rows[] = {
      R"({"event_id":"e1","recorded_at":"x"})",
      R"({"event_id":5})",
      R"(["event_id"])",
      R"({})",
      R"({"event_id":"a","event_id":5})",
      R"({"event_id":5,"event_id":"a"})",
      R"({"event_id":"x","n":123456789012345678901234567890})",
      "\xef\xbb\xbf{\"event_id\":\"x\"}",
      R"({"event_id":"\ud800"})",
      R"({"event_id":"x"} trailing)",
      R"({"event_id":"x",})",
      std::string("{\"event_id\":\"x\"}\0", 17),
      "{\"event_id\":\"\xff\"}",
      R"({"a":1e400,"event_id":"x"})",
      R"({"event_id":"x","d":)" + std::string(2000, '[') + std::string(2000, ']') + "}",
      "",
      "null"};
  for (const auto& row : rows) {
    EXPECT_EQ(detail::LooksLikeEvent(row), reference(row)) << row.substr(0, 60);
  }
  // A NULL column: a view with no data at all, which UBSan catches if it reaches memcpy.
  EXPECT_FALSE(detail::LooksLikeEvent(std::string_view()));
}

// The first page of `table`'s b-tree (its root), as a byte offset in the file.
int64_t RootPageOffset(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  detail::Stmt s;
  EXPECT_TRUE(s.Prepare(db,
                        "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM "
                        "sqlite_schema WHERE name = ?")
                  .ok());
  s.Bind(1, table);
  Status st;
  int64_t offset = s.Step(&st) ? (s.Int(0) - 1) * s.Int(1) : -1;
  s = detail::Stmt();
  sqlite3_close(db);
  return offset;
}

// Above whole_check_bytes (0 here: every file), an open checks the tables a write goes
// through, and the whole file only when the last whole check (meta checked_at) is a whole
// interval old. A damaged `blocks` page is then found by the next whole check, not every open.
TEST_F(RecoveryTest, LargeJournalIsCheckedWholeOncePerIntervalAndItsWriteTablesAtEveryOpen) {
  Build(10);  // created empty, so checked whole without a record
  options_.whole_check_bytes = 0;
  {
    auto j = Journal::Open(options_);  // no whole check recorded yet: due
    ASSERT_TRUE(j.ok()) << j.status().message();
    auto checked = j.value()->GetMeta("checked_at");
    ASSERT_TRUE(checked.ok()) << checked.status().message();
    int64_t now = base::UnixMillis(base::Clock::now());
    EXPECT_LE(now - std::stoll(checked.value()), 60000);
  }
  int64_t blocks_root = RootPageOffset(options_.path, "blocks");
  ASSERT_GT(blocks_root, 0);
  Damage(blocks_root, std::string(1, '\xff'));  // not a b-tree page type
  {
    auto scoped = Journal::Open(options_);
    EXPECT_TRUE(scoped.ok()) << "only the write tables were due: " << scoped.status().message();
  }

  options_.whole_check_interval_ms = 0;
  ExpectQuickCheckFindsDamageAtOpen();
}

TEST_F(RecoveryTest, LargeJournalHasItsTailCheckedAtEveryOpen) {
  Build(10);
  options_.whole_check_bytes = 0;
  ASSERT_TRUE(Journal::Open(options_).ok());  // records a whole check: the next is a day away
  Damage(RootPageOffset(options_.path, "tail"), std::string(1, '\xff'));
  ExpectQuickCheckFindsDamageAtOpen();
}

TEST_F(RecoveryTest, WholeChecksAreRecordedOnlyForLargeFilesOpenedForWriting) {
  Build(10);
  auto recorded = [this] {
    auto j = Journal::Open(options_);
    EXPECT_TRUE(j.ok()) << j.status().message();
    return j.ok() && j.value()->GetMeta("checked_at").ok();
  };
  EXPECT_FALSE(recorded());  // 8 MiB by default: this file is small, checked whole each time
  options_.whole_check_bytes = 0;
  options_.read_only = true;
  EXPECT_FALSE(recorded());  // large, but a reader does not write
  options_.read_only = false;
  EXPECT_TRUE(recorded());
}

TEST_F(RecoveryTest, RecoverDoesNothingWhenTheFileWasAlreadyReplaced) {
  Build(2);
  FileId judged = FileId::Of(options_.path);
  fs::rename(options_.path, options_.path + ".old");
  Build(3);  // another process recovered meanwhile: a new file at the path
  RecoveryReport report;
  ASSERT_TRUE(Recover(options_, "stale judgement", judged, &report).ok());
  EXPECT_TRUE(report.reason.empty());
  EXPECT_TRUE(SetAside().empty());
}

TEST_F(RecoveryTest, ForeignSqliteDatabaseIsRefusedNotAdopted) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(detail::Exec(db, "CREATE TABLE photos(x); INSERT INTO photos VALUES (1)").ok());
  sqlite3_close(db);
  RecoveryReport report;
  auto j = OpenOrRecover(options_, &report);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(j.status().message(), HasSubstr("not a glassbox journal"));
  EXPECT_TRUE(SetAside().empty());
}

TEST_F(RecoveryTest, ReplacedReportsAMovedOrDeletedFile) {
  auto j = Journal::Open(options_);
  ASSERT_TRUE(j.ok());
  EXPECT_FALSE(j.value()->Replaced());
  fs::rename(options_.path, options_.path + ".moved");
  EXPECT_TRUE(j.value()->Replaced());
}

}  // namespace
}  // namespace glassbox::journal
