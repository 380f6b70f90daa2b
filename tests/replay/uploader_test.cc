// The upload loop against a scripted fake transport and a fake clock: no network, no sleeps.
#include "replay/uploader.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <deque>
#include <set>

#include "base/digest.h"
#include "replay/state.h"
#include "test_journal.h"

namespace glassbox::replay {
namespace {

using journal::EventState;

class FakeTransport : public Transport {
 public:
  struct Sent {
    std::map<std::string, std::string> headers;
    std::string body;
  };
  Result<HttpResponse> Post(const HttpRequest& r) override {
    Sent s{{r.headers.begin(), r.headers.end()}, *r.body};
    sent.push_back(s);
    if (script.empty()) return HttpResponse{200, "", ""};
    auto next = script.front();
    script.pop_front();
    return next;
  }
  std::deque<Result<HttpResponse>> script;
  std::vector<Sent> sent;
};

class UploaderTest : public ::testing::Test {
 protected:
  UploaderTest() {
    policy_.endpoint = "https://collector.test/v1/events";
    policy_.compression = Compression::kNone;
    options_.now = [this] { return now_; };
    options_.random01 = [] { return 1.0; };
  }
  UploadReport Upload() {
    auto r = replay::Upload(*j_, policy_, transport_, options_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : UploadReport{};
  }
  static HttpResponse Answer(long status, std::string retry_after = "") {
    return {status, std::move(retry_after), "nope"};
  }
  // Events (by their "n") in every body the fake accepted, counted.
  std::map<std::string, int> Lines() {
    std::map<std::string, int> n;
    for (const auto& s : transport_.sent) {
      size_t start = 0;
      for (size_t nl; (nl = s.body.find('\n', start)) != std::string::npos; start = nl + 1) {
        ++n[s.body.substr(start, nl - start)];
      }
    }
    return n;
  }
  ReplayState State() { return LoadState(*j_).value(); }

  testing::TempJournal j_;
  UploadPolicy policy_;
  FakeTransport transport_;
  UploadOptions options_;
  TimePoint now_ = TimePoint(std::chrono::hours(500'000));
};

TEST_F(UploaderTest, SendsEveryPendingEventOnceInBatchesAndMarksThemSent) {
  j_.Add(7);
  policy_.max_batch_events = 3;
  UploadReport r = Upload();
  EXPECT_EQ(r.outcome, Outcome::kDone);
  EXPECT_EQ(r.batches, 3);
  EXPECT_EQ(r.events, 7);
  EXPECT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(j_.Count(EventState::kSent), 7);
  EXPECT_EQ(j_.Count(EventState::kPending), 0);
  EXPECT_EQ(State().last_success, now_);
  transport_.sent.clear();
  EXPECT_EQ(Upload().events, 0);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(UploaderTest, HeadersCarryTheWireFormat) {
  j_.Add(2);
  policy_.compression = Compression::kZstd;
  Upload();
  ASSERT_EQ(transport_.sent.size(), 1u);
  auto& h = transport_.sent[0].headers;
  EXPECT_EQ(h["Content-Type"], "application/x-ndjson");
  EXPECT_EQ(h["Content-Encoding"], "zstd");
  EXPECT_EQ(h["User-Agent"], std::string("glassbox/") + GLASSBOX_VERSION);
  auto body = FirstBatch(*j_, {EventFilter{{}, {}, EventState::kSent, "", ""}}, {}, {});
  EXPECT_EQ(h["Idempotency-Key"], base::Sha256Hex(body.value().body));
}

TEST_F(UploaderTest, LedgerRowMatchesTheBodyAndIsWrittenWithTheStateChange) {
  j_.Add(4);
  Upload();
  std::vector<journal::LedgerEntry> rows;
  ASSERT_TRUE(j_->ListLedger([&](const journal::LedgerEntry& e) {
                  rows.push_back(e);
                  return true;
                }).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "upload");
  EXPECT_EQ(rows[0].events, 4);
  EXPECT_EQ(rows[0].result, "http 200");
  EXPECT_EQ(rows[0].destination, policy_.endpoint);
  EXPECT_EQ(rows[0].sha256, base::Sha256Hex(transport_.sent[0].body));
  EXPECT_EQ(rows[0].bytes, static_cast<int64_t>(transport_.sent[0].body.size()));
}

TEST_F(UploaderTest, ServiceUnavailableHonoursRetryAfterAndStops) {
  j_.Add(6);
  policy_.max_batch_events = 2;
  transport_.script = {Answer(200), Answer(503, "120")};
  UploadReport r = Upload();
  EXPECT_EQ(r.outcome, Outcome::kTransient);
  EXPECT_EQ(transport_.sent.size(), 2u);  // stopped: the third batch was not tried
  EXPECT_EQ(j_.Count(EventState::kSent), 2);
  EXPECT_EQ(j_.Count(EventState::kPending), 4);
  ReplayState s = State();
  EXPECT_EQ(s.not_before, now_ + std::chrono::seconds(120));
  EXPECT_EQ(s.failures, 0);  // a Retry-After is an instruction, not a failure
  EXPECT_FALSE(s.last_success);
}

TEST_F(UploaderTest, TooManyRequestsWithHttpDateRetryAfter) {
  j_.Add(1);
  now_ = TimePoint(std::chrono::seconds(1'800'000'000));  // 2027-01-15T08:00:00Z
  transport_.script = {Answer(429, "Fri, 15 Jan 2027 08:10:00 GMT")};
  EXPECT_EQ(Upload().outcome, Outcome::kTransient);
  EXPECT_EQ(State().not_before, now_ + std::chrono::minutes(10));
}

TEST_F(UploaderTest, ServerErrorsBackOffExponentiallyAcrossRuns) {
  j_.Add(1);
  transport_.script = {Answer(500), Answer(502), Status::Transient("POST x: Timeout")};
  for (int run = 1; run <= 3; ++run) {
    EXPECT_EQ(Upload().outcome, Outcome::kTransient);
    ReplayState s = State();
    EXPECT_EQ(s.failures, run);
    EXPECT_EQ(s.not_before, now_ + policy_.backoff_base * (1 << (run - 1)));
  }
  EXPECT_EQ(Upload().outcome, Outcome::kDone);
  EXPECT_EQ(State().failures, 0);
  EXPECT_FALSE(State().not_before);
}

TEST_F(UploaderTest, RetriedBatchCarriesTheSameKeyEvenAfterNewEvents) {
  j_.Add(3);
  transport_.script = {Answer(500)};
  Upload();
  j_.Add(2);  // recorded between the runs: would change an unpinned first batch
  Upload();
  ASSERT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(transport_.sent[1].headers["Idempotency-Key"],
            transport_.sent[0].headers["Idempotency-Key"]);
  EXPECT_EQ(transport_.sent[1].body, transport_.sent[0].body);
  EXPECT_EQ(j_.Count(EventState::kSent), 5);
  // The new events went in a batch of their own.
  EXPECT_EQ(std::count(transport_.sent[2].body.begin(), transport_.sent[2].body.end(), '\n'), 2);
  EXPECT_EQ(transport_.sent[2].body.find("\"n\":2,"), std::string::npos);
}

TEST_F(UploaderTest, PayloadTooLargeSplitsTheBatchAndSendsTheHalves) {
  j_.Add(8);
  transport_.script = {Answer(413), Answer(413)};  // 8 -> 4+4; the first 4 -> 2+2
  UploadReport r = Upload();
  EXPECT_EQ(r.outcome, Outcome::kDone);
  EXPECT_EQ(j_.Count(EventState::kSent), 8);
  std::vector<size_t> sizes;
  for (const auto& s : transport_.sent)
    sizes.push_back(std::count(s.body.begin(), s.body.end(), '\n'));
  EXPECT_EQ(sizes, (std::vector<size_t>{8, 4, 2, 2, 4}));
}

// Each batch after the first is keyed and compressed on a worker while the one before it is
// in flight; a 413 changes the run's course, and that prepared batch must be dropped.
TEST_F(UploaderTest, BatchesPreparedAheadCarryTheirOwnKeyAndAreDroppedWhenTheRunChanges) {
  j_.Add(30);
  policy_.max_batch_events = 4;
  policy_.compression = Compression::kZstd;
  transport_.script = {Answer(200), Answer(200), Answer(413)};  // the third batch: 4 -> 2+2
  UploadReport r = Upload();
  EXPECT_EQ(r.outcome, Outcome::kDone);
  std::string all;
  std::vector<size_t> sizes;
  for (const auto& s : transport_.sent) {
    std::string body(ZSTD_getFrameContentSize(s.body.data(), s.body.size()), '\0');
    ASSERT_EQ(ZSTD_decompress(body.data(), body.size(), s.body.data(), s.body.size()), body.size());
    EXPECT_EQ(s.headers.at("Idempotency-Key"), base::Sha256Hex(body));
    sizes.push_back(std::count(body.begin(), body.end(), '\n'));
    if (&s != &transport_.sent[2]) all += body;  // the refused one is sent again as halves
  }
  // 4, 4, the refused 4, its halves; then the halved limits (2 events, half the refused
  // body's bytes) hold for the rest, so the batch of 4 prepared before the 413 is not sent.
  ASSERT_GT(sizes.size(), 5u);
  EXPECT_EQ(std::vector<size_t>(sizes.begin(), sizes.begin() + 5),
            (std::vector<size_t>{4, 4, 4, 2, 2}));
  size_t rest = 0;
  for (size_t i = 5; i < sizes.size(); ++i) {
    EXPECT_LE(sizes[i], 2u) << "batch " << i;
    rest += sizes[i];
  }
  EXPECT_EQ(rest, 30u - 12u);
  std::string expected;
  ASSERT_TRUE(j_->Scan({}, [&](const journal::StoredEvent& e) {
                  expected.append(e.line).push_back('\n');
                  return true;
                }).ok());
  EXPECT_EQ(all, expected);  // every event once, in journal order
  EXPECT_EQ(j_.Count(EventState::kSent), 30);
}

// A level-1 block travels in its stored frame; sent again after no answer, it is rebuilt
// from its range (compressed anew, since the journal may have merged it meanwhile) and
// carries the same NDJSON and key.
TEST_F(UploaderTest, AWholeBlockTravelsInItsFrameAndIsResentWithTheSameKey) {
  j_.Add(1100);
  policy_.compression = Compression::kZstd;
  auto block = FirstBatch(*j_, {}, {}, {});
  ASSERT_TRUE(block.ok());
  ASSERT_EQ(block.value().events(), 1024) << "the sealer should have made a level-1 block";
  ASSERT_FALSE(block.value().frame.empty());
  transport_.script = {Status::Transient("POST x: Timeout")};
  EXPECT_EQ(Upload().outcome, Outcome::kTransient);
  Upload();
  ASSERT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(transport_.sent[0].body, block.value().frame);
  std::vector<std::string> bodies;
  for (const auto& s : transport_.sent) {
    std::string body(ZSTD_getFrameContentSize(s.body.data(), s.body.size()), '\0');
    ASSERT_EQ(ZSTD_decompress(body.data(), body.size(), s.body.data(), s.body.size()), body.size());
    EXPECT_EQ(s.headers.at("Idempotency-Key"), base::Sha256Hex(body));
    bodies.push_back(body);
  }
  EXPECT_EQ(bodies[0], block.value().body);
  EXPECT_EQ(bodies[1], bodies[0]);
  EXPECT_EQ(transport_.sent[1].headers["Idempotency-Key"],
            transport_.sent[0].headers["Idempotency-Key"]);
  EXPECT_EQ(std::count(bodies[2].begin(), bodies[2].end(), '\n'), 1100 - 1024);
  EXPECT_EQ(j_.Count(EventState::kSent), 1100);
}

// A batch sent line by line, then a block sealed inside its range before the resend: the
// resend is not cut where that block begins, or its key would change.
TEST_F(UploaderTest, AnInterruptedBatchIsResentWholeEvenIfABlockNowBeginsInsideIt) {
  auto seqs = j_.Add(1100);  // a level-1 block 1..1024, then 76 tail rows
  ASSERT_TRUE(j_->SetStates({seqs.begin(), seqs.begin() + 10}, EventState::kSent, nullptr).ok());
  transport_.script = {Status::Transient("POST x: Timeout")};
  EXPECT_EQ(Upload().outcome, Outcome::kTransient);
  j_.Add(1000);  // seals 1025..2048 into a level-1 block
  auto after = FirstBatch(*j_, {}, {}, {seqs[1023], INT64_MAX});
  ASSERT_FALSE(after.value().frame.empty()) << "the test needs a block starting at 1025";
  Upload();
  ASSERT_GE(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].body, transport_.sent[0].body);
  EXPECT_EQ(transport_.sent[1].headers["Idempotency-Key"],
            transport_.sent[0].headers["Idempotency-Key"]);
  EXPECT_EQ(j_.Count(EventState::kSent), 2100);
}

TEST_F(UploaderTest, SingleEventTooLargeNeedsAPerson) {
  j_.Add(1);
  transport_.script = {Answer(413)};
  UploadReport r = Upload();
  EXPECT_EQ(r.outcome, Outcome::kNeedsPerson);
  EXPECT_EQ(j_.Count(EventState::kPending), 1);
}

TEST_F(UploaderTest, OtherClientErrorsStopAndKeepEverything) {
  j_.Add(4);
  policy_.max_batch_events = 2;
  transport_.script = {Answer(401)};
  UploadReport r = Upload();
  EXPECT_EQ(r.outcome, Outcome::kNeedsPerson);
  EXPECT_NE(r.message.find("http 401"), std::string::npos);
  EXPECT_NE(r.message.find("nope"), std::string::npos);
  EXPECT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(j_.Count(EventState::kPending), 4);
  EXPECT_FALSE(State().not_before);  // nothing to wait for: a person must act
}

TEST_F(UploaderTest, TlsFailureNeedsAPerson) {
  j_.Add(1);
  transport_.script = {Status::Permanent("POST https://collector.test: SSL peer certificate")};
  EXPECT_EQ(Upload().outcome, Outcome::kNeedsPerson);
  EXPECT_EQ(j_.Count(EventState::kPending), 1);
}

TEST_F(UploaderTest, ByteBudgetStopsTheRunAfterAtLeastOneBatch) {
  j_.Add(6, EventState::kPending, 1'700'000'000'000, 1000);
  policy_.max_batch_events = 2;
  policy_.max_bytes_per_run = 4500;  // two batches of ~2 KiB
  UploadReport r = Upload();
  EXPECT_EQ(r.outcome, Outcome::kDeferred);
  EXPECT_EQ(r.batches, 2);
  EXPECT_EQ(j_.Count(EventState::kPending), 2);
}

TEST_F(UploaderTest, DryRunSendsAndChangesNothing) {
  j_.Add(5);
  options_.dry_run = true;
  UploadReport r = Upload();
  EXPECT_EQ(r.events, 5);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(j_.Count(EventState::kPending), 5);
  EXPECT_FALSE(State().last_success);
}

TEST_F(UploaderTest, LocalOnlyEventsAreNeverSent) {
  j_.Add(3, EventState::kLocal);
  j_.Add(2);
  EXPECT_EQ(Upload().events, 2);
  EXPECT_EQ(j_.Count(EventState::kLocal), 3);
  for (const auto& [line, n] : Lines()) EXPECT_EQ(line.find("\"n\":0,"), std::string::npos);
}

}  // namespace
}  // namespace glassbox::replay
