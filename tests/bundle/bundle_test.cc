// Export, import and the format, through the library.
#include <sys/stat.h>

#include <algorithm>

#include "base/canonical_json.h"
#include "base/digest.h"
#include "journal/consent.h"
#include "tests/bundle/fixture.h"

namespace glassbox::replay::testing {
namespace {

using journal::EventState;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::vector<std::string> PendingLines(const journal::Journal& j) {
  std::vector<std::string> out;
  EXPECT_TRUE(j.Scan({EventState::kPending, 0}, [&](const journal::StoredEvent& e) {
                 out.emplace_back(e.line);
                 return true;
               }).ok());
  return out;
}

std::vector<journal::LedgerEntry> Ledger(const journal::Journal& j) {
  std::vector<journal::LedgerEntry> out;
  EXPECT_TRUE(j.ListLedger([&](const journal::LedgerEntry& e) {
                 out.push_back(e);
                 return true;
               }).ok());
  return out;
}

TEST_F(BundleTest, ExportWritesManifestThenTheSourceLinesByteForByte) {
  Record(12);
  std::vector<std::string> before = PendingLines(*source_);
  Manifest m = Export("a.gbx");
  std::vector<std::string> lines = Lines(Decompress(ReadAll("a.gbx")));
  ASSERT_EQ(lines.size(), before.size() + 1);
  EXPECT_EQ(lines[0], base::CanonicalJson(m.ToJson()));
  EXPECT_EQ(std::vector<std::string>(lines.begin() + 1, lines.end()), before);
  EXPECT_EQ(m.event_count, 12);
  EXPECT_EQ(m.schemas, std::vector<std::string>{"iglu:dev.glassbox/cli_event/jsonschema/1-0-0"});
  EXPECT_EQ(m.source_install_id, source_->install_id());
  std::string body;
  for (const auto& l : before) body += l + "\n";
  EXPECT_EQ(m.events_sha256, base::Sha256Hex(body));
  EXPECT_EQ(m.events_bytes, static_cast<int64_t>(body.size()));
}

TEST_F(BundleTest, ExportedFileIsPrivateAndReadsBack) {
  Record(6);
  Manifest m = Export("a.gbx");
  struct stat st {};
  ASSERT_EQ(::stat(Path("a.gbx").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = ReadBundle(Path("a.gbx"), Reading());
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->size(), 6u);
  EXPECT_EQ(b->manifest.events_sha256, m.events_sha256);
  EXPECT_FALSE(b->signature_verified);
}

TEST_F(BundleTest, ExportMarksEventsExportedWithOneLedgerRow) {
  Record(5);
  Manifest m = Export("a.gbx");
  auto counts = source_->CountStates();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->exported, 5);
  auto ledger = Ledger(*source_);
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger[0].kind, "export");
  EXPECT_EQ(ledger[0].destination, Path("a.gbx"));
  EXPECT_EQ(ledger[0].events, 5);
  EXPECT_EQ(ledger[0].sha256, m.events_sha256);
}

TEST_F(BundleTest, AnEventIsExportedOnceUnlessAll) {
  Record(4);
  Export("a.gbx");
  EXPECT_EQ(Export("b.gbx").event_count, 0);
  ExportOptions o;
  o.out_path = Path("c.gbx");
  o.all = true;
  auto m = ExportBundle(*source_, o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->event_count, 4);
}

// A bundle stops short of the readers' max_bytes, so it can always be read back with the
// limit it was written under; the events left out stay pending for the next export.
TEST_F(BundleTest, ExportStopsShortOfMaxBytesAndLeavesTheRestPending) {
  Record(60);
  ExportOptions o;
  o.out_path = Path("a.gbx");
  o.max_bytes = 8 << 10;  // room for some of the events only
  bool complete = true;
  auto first = ExportBundle(*source_, o, &complete);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(complete);
  EXPECT_GT(first->event_count, 0);
  EXPECT_LT(first->event_count, 60);
  EXPECT_LE(first->events_bytes, o.max_bytes);
  ReadOptions r = Reading();
  r.limits.max_bytes = o.max_bytes;
  r.limits.max_line_bytes = 4 << 10;
  auto read = ReadBundle(o.out_path, r);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(source_->CountStates()->pending, 60 - first->event_count);
  int64_t carried = first->event_count;
  for (int n = 1; !complete; ++n) {  // export again until every event went
    ASSERT_LT(n, 60);
    o.out_path = Path("a" + std::to_string(n) + ".gbx");
    auto more = ExportBundle(*source_, o, &complete);
    ASSERT_TRUE(more.ok()) << more.status().message();
    carried += more->event_count;
  }
  EXPECT_EQ(carried, 60);
  EXPECT_EQ(source_->CountStates()->pending, 0);
  o.out_path = Path("tiny.gbx");
  o.max_bytes = 100;  // not even one event
  Record(1);
  EXPECT_EQ(ExportBundle(*source_, o).status().code(), StatusCode::kInvalidArgument);
}

// Export compresses each batch (4,096 events) on a helper thread while it reads the next:
// across batches, and when max_bytes cuts into the third, the bundle still holds the journal's
// lines byte for byte, in order, under the digest its manifest names.
TEST_F(BundleTest, ExportAcrossBatchesKeepsEveryLineInOrder) {
  Record(9000);
  std::vector<std::string> before = PendingLines(*source_);
  std::string all;
  for (const auto& l : before) all += l + "\n";
  ExportOptions o;
  o.out_path = Path("cut.gbx");
  o.max_bytes = static_cast<int64_t>(all.size()) * 19 / 20 + (64 << 10);  // cuts batch 3
  bool complete = true;
  auto cut = ExportBundle(*source_, o, &complete);
  ASSERT_TRUE(cut.ok()) << cut.status().message();
  EXPECT_FALSE(complete);
  ASSERT_GT(cut->event_count, 8192);
  ASSERT_LT(cut->event_count, 9000);
  std::vector<std::string> lines = Lines(Decompress(ReadAll("cut.gbx")));
  ASSERT_EQ(lines.size(), static_cast<size_t>(cut->event_count) + 1);
  EXPECT_TRUE(std::equal(lines.begin() + 1, lines.end(), before.begin()));
  std::string taken;
  for (size_t i = 1; i < lines.size(); ++i) taken += lines[i] + "\n";
  EXPECT_EQ(cut->events_sha256, base::Sha256Hex(taken));
  auto read = ReadBundle(o.out_path, Reading());
  ASSERT_TRUE(read.ok()) << read.status().message();

  o.out_path = Path("rest.gbx");
  o.max_bytes = int64_t{256} << 20;
  auto rest = ExportBundle(*source_, o, &complete);
  ASSERT_TRUE(rest.ok()) << rest.status().message();
  EXPECT_TRUE(complete);
  EXPECT_EQ(cut->event_count + rest->event_count, 9000);
  lines = Lines(Decompress(ReadAll("rest.gbx")));
  EXPECT_TRUE(std::equal(lines.begin() + 1, lines.end(), before.begin() + cut->event_count));
}

// The stored frames of the source's sealed blocks that a batch can carry whole.
std::vector<std::string> UpperBlockFrames(const journal::Journal& j) {
  std::vector<std::string> out;
  EXPECT_TRUE(j.Scan({}, [&](const journal::StoredEvent& e) {
                 if (e.block && e.block->level >= 1 && e.seq == e.block->first_seq) {
                   out.emplace_back(e.block->frame);
                 }
                 return true;
               }).ok());
  return out;
}

// Whether a zstd frame names its window (RFC 8878, 3.1.1.1.1): the merge level does for a block
// whose text is larger than its 2 MiB window; a smaller block's window is its content.
bool HasWindowDescriptor(std::string_view frame) { return (frame[4] & 0x20) == 0; }

TEST_F(BundleTest, ExportCarriesWholeBlocksInTheirStoredFrames) {
  Record(9000, 12);  // ~3 MB per level-2 block
  ASSERT_TRUE(source_->Seal().ok());
  std::vector<std::string> frames = UpperBlockFrames(*source_);
  ASSERT_GE(frames.size(), 2u);  // level-2 blocks of 4,096 events, then smaller ones
  EXPECT_TRUE(HasWindowDescriptor(frames.front()));
  EXPECT_FALSE(HasWindowDescriptor(frames.back()));
  std::vector<std::string> before = PendingLines(*source_);
  Manifest m = Export("a.gbx");
  std::string file = ReadAll("a.gbx");
  for (const auto& frame : frames) EXPECT_NE(file.find(frame), std::string::npos);
  // The tail's lines and level-0 blocks still go into frames of export's own, among them.
  std::vector<std::string> lines = Lines(Decompress(file));
  ASSERT_EQ(lines.size(), before.size() + 1);
  EXPECT_TRUE(std::equal(lines.begin() + 1, lines.end(), before.begin()));
  std::string body;
  for (const auto& l : before) body += l + "\n";
  EXPECT_EQ(m.events_sha256, base::Sha256Hex(body));
  auto read = ReadBundle(Path("a.gbx"), Reading());
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(EventText(*read), body);

  // `--level`: every event compressed at that level, no stored frame copied.
  ExportOptions o;
  o.out_path = Path("level.gbx");
  o.all = true;
  o.level = 1;
  o.keep_block_frames = false;
  auto again = ExportBundle(*source_, o);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->events_sha256, m.events_sha256);
  std::string level_file = ReadAll("level.gbx");
  for (const auto& frame : frames) EXPECT_EQ(level_file.find(frame), std::string::npos);
  EXPECT_TRUE(ReadBundle(o.out_path, Reading()).ok());
}

TEST_F(BundleTest, AllKeepsSentEventsSentAndMarksOnlyPendingOnesExported) {
  Record(3);
  std::vector<int64_t> first;
  ASSERT_TRUE(source_
                  ->Scan({},
                         [&](const journal::StoredEvent& e) {
                           first.push_back(e.seq);
                           return first.size() < 2;
                         })
                  .ok());
  ASSERT_TRUE(source_->SetStates(first, EventState::kSent, nullptr).ok());
  ExportOptions o;
  o.out_path = Path("a.gbx");
  o.all = true;
  auto m = ExportBundle(*source_, o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->event_count, 3);
  auto counts = source_->CountStates().value();
  EXPECT_EQ(counts.sent, 2);
  EXPECT_EQ(counts.exported, 1);
  EXPECT_EQ(counts.pending, 0);
}

TEST_F(BundleTest, LocalEventsAreNeverExportedEvenWithAll) {
  Record(2);
  ASSERT_TRUE(source_->Append({{R"({"event_id":"x"})", EventState::kLocal, 0, {}}}).ok());
  ExportOptions o;
  o.out_path = Path("a.gbx");
  o.all = true;
  auto m = ExportBundle(*source_, o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->event_count, 2);
  o.out_path = Path("b.gbx");
  o.filter.state = EventState::kLocal;
  EXPECT_EQ(ExportBundle(*source_, o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(BundleTest, ExportIsRefusedUnlessConsentIsOn) {
  Record(2);
  for (auto c : {journal::Consent::kLocal, journal::Consent::kOff}) {
    ASSERT_TRUE(journal::StoreConsent(*source_, c).ok());
    ExportOptions o;
    o.out_path = Path("a.gbx");
    EXPECT_EQ(ExportBundle(*source_, o).status().code(), StatusCode::kPolicyDenied);
    EXPECT_FALSE(std::filesystem::exists(Path("a.gbx")));
  }
  EXPECT_EQ(source_->CountStates()->pending, 2);
}

TEST_F(BundleTest, ExportNeverOverwritesAFile) {
  Record(2);
  Export("a.gbx");
  Record(2);
  ExportOptions o;
  o.out_path = Path("a.gbx");
  EXPECT_EQ(ExportBundle(*source_, o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(source_->CountStates()->pending, 2);
}

TEST_F(BundleTest, ExportFilterSelectsEvents) {
  Record(10);  // 6 singles, two started/completed pairs
  ExportOptions o;
  o.out_path = Path("a.gbx");
  o.filter = EventFilter::Parse("phase=started,phase=completed").value();
  auto m = ExportBundle(*source_, o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->event_count, 4);
  EXPECT_EQ(source_->CountStates()->pending, 6);
}

TEST_F(BundleTest, FindGivesEachEventsPlaceInBundleOrder) {
  Record(6);
  Export("a.gbx");
  auto b = ReadBundle(Path("a.gbx"), Reading());
  ASSERT_TRUE(b.ok()) << b.status().message();
  int64_t place = 0;
  ASSERT_TRUE(b->ForEachEvent([&](std::string_view line, int64_t) {
                 EXPECT_EQ(b->Find(EventIdOf(line)), place++);
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(place, 6);
  EXPECT_EQ(b->Find("00000000-0000-4000-8000-000000000000"), -1);
  EXPECT_EQ(b->Find("not an id"), -1);
  // Once the ids are given back, Find knows none, and the events still walk in full.
  std::string text = EventText(b.value());
  std::string first_id(EventIdOf(text.substr(0, text.find('\n'))));
  ASSERT_EQ(b->Find(first_id), 0);
  b->ForgetIds();
  EXPECT_EQ(b->Find(first_id), -1);
  EXPECT_EQ(EventText(b.value()), text);
}

TEST_F(BundleTest, EmptyExportIsAValidBundleWithNoTimeRange) {
  Manifest m = Export("a.gbx");
  EXPECT_EQ(m.event_count, 0);
  EXPECT_TRUE(m.ToJson()["first_recorded_at"].is_null());
  auto b = ReadBundle(Path("a.gbx"), Reading());
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(EventText(b.value()), "");
}

TEST_F(BundleTest, ImportTwiceAddsEachEventOnce) {
  Record(9);
  Export("a.gbx");
  auto b = ReadBundle(Path("a.gbx"), Reading());
  ASSERT_TRUE(b.ok());
  auto relay = OpenJournal("relay.db");
  auto first = ImportBundle(b.value(), *relay, {"a.gbx"});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->added, 9);
  auto second = ImportBundle(b.value(), *relay, {"a.gbx"});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->added, 0);
  EXPECT_EQ(second->present, 9);
  EXPECT_EQ(relay->CountStates()->pending, 9);
  EXPECT_EQ(PendingLines(*relay), Lines(EventText(b.value())));
  auto ledger = Ledger(*relay);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0].kind, "import");
  EXPECT_EQ(ledger[0].events, 9);
  EXPECT_EQ(ledger[1].events, 0);
}

TEST_F(BundleTest, ImportSkipsOnlyTheEventsAlreadyPresent) {
  Record(3);
  Export("a.gbx");
  Record(4);
  ExportOptions o;
  o.out_path = Path("b.gbx");
  o.all = true;
  ASSERT_TRUE(ExportBundle(*source_, o).ok());
  auto relay = OpenJournal("relay.db");
  // The relay's own events, which no bundle has: a UUID id and a line of another shape.
  ASSERT_TRUE(relay
                  ->Append({{R"({"event_id":"00000000-0000-4000-8000-000000000000","x":1})",
                             EventState::kPending,
                             1,
                             {}},
                            {R"({"x":2,"event_id":"not an id"})", EventState::kPending, 2, {}}})
                  .ok());
  auto a = ReadBundle(Path("a.gbx"), Reading());
  auto b = ReadBundle(Path("b.gbx"), Reading());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(ImportBundle(a.value(), *relay, {}).ok());
  auto r = ImportBundle(b.value(), *relay, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->added, 4);
  EXPECT_EQ(r->present, 3);
  EXPECT_EQ(relay->CountStates()->pending, 2 + 7);
}

TEST_F(BundleTest, ImportedEventsCanBeExportedAgainByARelay) {
  Record(5);
  Export("a.gbx");
  auto relay = OpenJournal("relay.db");
  ASSERT_TRUE(ImportBundle(ReadBundle(Path("a.gbx"), Reading()).value(), *relay, {}).ok());
  ExportOptions o;
  o.out_path = Path("relay.gbx");
  auto m = ExportBundle(*relay, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->event_count, 5);
  EXPECT_EQ(m->source_install_id, relay->install_id());
  auto again = ReadBundle(Path("relay.gbx"), Reading());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(EventText(again.value()), EventText(ReadBundle(Path("a.gbx"), Reading()).value()));
}

TEST_F(BundleTest, ImportUnderConsentLocalKeepsEventsLocalAndOffRefuses) {
  Record(3);
  Export("a.gbx");
  auto b = ReadBundle(Path("a.gbx"), Reading());
  auto relay = OpenJournal("relay.db");
  ASSERT_TRUE(journal::StoreConsent(*relay, journal::Consent::kOff).ok());
  EXPECT_EQ(ImportBundle(b.value(), *relay, {}).status().code(), StatusCode::kPolicyDenied);
  EXPECT_EQ(relay->CountStates()->total(), 0);
  ASSERT_TRUE(journal::StoreConsent(*relay, journal::Consent::kLocal).ok());
  ASSERT_TRUE(ImportBundle(b.value(), *relay, {}).ok());
  EXPECT_EQ(relay->CountStates()->local, 3);
}

TEST_F(BundleTest, BatchesOfAStagedBundleEqualTheSourceJournalsBatches) {
  Record(40);
  BatchLimits limits{7, 3000};
  std::vector<std::string> source_batches;
  ASSERT_TRUE(BuildBatches(*source_, {}, limits, [&](Batch&& b) {
                source_batches.push_back(b.sha256 + b.body);
                return true;
              }).ok());
  Export("a.gbx");
  auto staging = OpenJournal("staging.db");
  ASSERT_TRUE(StageBundle(ReadBundle(Path("a.gbx"), Reading()).value(), *staging).ok());
  std::vector<std::string> bundle_batches;
  ASSERT_TRUE(BuildBatches(*staging, {}, limits, [&](Batch&& b) {
                bundle_batches.push_back(b.sha256 + b.body);
                return true;
              }).ok());
  EXPECT_GT(source_batches.size(), 5u);
  EXPECT_EQ(bundle_batches, source_batches);
}

TEST_F(BundleTest, LargeImportLeavesTheTailShort) {
  Record(700);
  Export("a.gbx");
  auto relay = OpenJournal("relay.db");
  ASSERT_TRUE(ImportBundle(ReadBundle(Path("a.gbx"), Reading()).value(), *relay, {}).ok());
  // Sealing after a large append: at most one partial block's worth stays unsealed.
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(relay->db(), "SELECT count(*) FROM tail", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_LT(sqlite3_column_int64(st, 0), 128);
  sqlite3_finalize(st);
  EXPECT_EQ(relay->CountStates()->pending, 700);
}

}  // namespace
}  // namespace glassbox::replay::testing
