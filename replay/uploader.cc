#include "replay/uploader.h"

#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <system_error>

#include "base/digest.h"
#include "base/ids.h"
#include "replay/payload.h"
#include "replay/state.h"

namespace glassbox::replay {
namespace {

SeqRange RangeOf(const Batch& b) { return {b.seqs.front() - 1, b.seqs.back()}; }

// The batch after the one in flight, built from the journal on the replay thread and then
// keyed (SHA-256) and compressed on a worker while the collector answers: the two take about
// a third of a replay's CPU (bench/README.md), and the replay thread would otherwise wait. Used
// only if the run goes on exactly as expected (its range starts at the cursor, with the same
// limits); otherwise dropped, and nothing about it was stored. Never moved, so the worker's pointer
// to the body stays valid; `wire` is declared last, so it is destroyed (the worker joined) first.
struct Ahead {
  Batch batch;  // sha256 filled in from `wire` when taken
  int64_t after_seq = 0;
  BatchLimits limits;
  struct Done {
    std::string sha256;
    Result<std::string> wire;
  };
  std::future<Done> wire;
};

// Printable ASCII only, one line: a collector's reply goes into a terminal and a log.
std::string Sanitize(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 200)) out.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

class Run {
 public:
  Run(journal::Journal& journal, const UploadPolicy& policy, Transport& transport,
      const UploadOptions& options, std::vector<std::pair<std::string, std::string>> headers)
      : journal_(journal),
        policy_(policy),
        transport_(transport),
        options_(options),
        extra_headers_(std::move(headers)) {
    limits_.max_events = policy.max_batch_events;
    limits_.max_bytes = policy.max_batch_bytes;
  }

  Result<UploadReport> Go();

 private:
  Status Prime();
  // The next batch, and its wire bytes when they were prepared ahead (else empty).
  Result<bool> NextBatch(Batch* out, std::optional<Result<std::string>>* wire);
  // Builds the batch after `current` and starts keying and compressing it on a worker.
  Status PrepareAhead(const Batch& current);
  // Sends one batch; false when the run must stop (report_ says why).
  Result<bool> Send(Batch& batch, std::optional<Result<std::string>> wire);
  Result<bool> OnAnswer(Batch& batch, const HttpResponse& response, int64_t wire);
  Result<bool> OnNoAnswer(const Batch& batch, const Status& error);
  Status Accept(const Batch& batch, long status, int64_t wire);
  Status Defer(Millis delay, bool failure, const std::string& reason);
  Status Ledger(const Batch& batch, const std::string& result);
  bool Stop(Outcome outcome, std::string message) {
    report_.outcome = outcome;
    report_.message = std::move(message);
    return false;
  }

  journal::Journal& journal_;
  const UploadPolicy& policy_;
  Transport& transport_;
  const UploadOptions& options_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  BatchLimits limits_;
  ReplayState state_;
  std::deque<Batch> queue_;  // batches due before the next one built from the journal
  std::unique_ptr<Ahead> ahead_;
  Batch spare_;  // the last batch sent: the next one built ahead is built in its buffers
  int64_t cursor_ = 0, through_ = 0;
  Progress progress_;
  UploadReport report_;
  bool cleared_backoff_ = false;
};

Status Run::Prime() {
  auto state = LoadState(journal_);
  if (!state.ok()) return state.status();
  state_ = state.value();
  auto last = journal_.LastSeq();
  if (!last.ok()) return last.status();
  through_ = last.value();
  auto counts = journal_.CountStates();
  if (!counts.ok()) return counts.status();
  progress_.events_total = counts.value().pending;
  auto inflight = LoadInFlight(journal_);
  if (!inflight.ok()) return inflight.status();
  if (!inflight.value()) return Status::Ok();
  // Rebuild the interrupted batch whole (its range bounds it, not today's limits).
  // Nor is it cut where a block begins: the block layout may have changed since it was sent.
  BatchLimits unbounded{INT64_MAX, INT64_MAX, /*keyed=*/true, /*whole_blocks=*/false};
  const InFlight& f = *inflight.value();
  auto batch =
      FirstBatch(journal_, {}, unbounded, {f.after_seq, std::min(f.through_seq, through_)});
  if (!batch.ok()) return batch.status();
  if (!batch.value().seqs.empty()) queue_.push_back(std::move(batch.value()));
  return Status::Ok();
}

Result<bool> Run::NextBatch(Batch* out, std::optional<Result<std::string>>* wire) {
  std::unique_ptr<Ahead> ahead = std::move(ahead_);
  if (queue_.empty() && ahead && ahead->after_seq == cursor_ &&
      ahead->limits.max_events == limits_.max_events &&
      ahead->limits.max_bytes == limits_.max_bytes) {
    Ahead::Done done = ahead->wire.get();
    *out = std::move(ahead->batch);
    out->sha256 = std::move(done.sha256);
    *wire = std::move(done.wire);
    return true;
  }
  ahead.reset();  // the run changed course (a split batch, new limits): built again below
  if (queue_.empty()) {
    auto b = FirstBatch(journal_, {}, limits_, {cursor_, through_});
    if (!b.ok()) return b.status();
    if (b.value().seqs.empty()) return false;
    queue_.push_back(std::move(b.value()));
  }
  *out = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

Status Run::PrepareAhead(const Batch& current) {
  if (!queue_.empty()) return Status::Ok();  // those go first, and are built already
  auto ahead = std::make_unique<Ahead>();
  ahead->after_seq = std::max(cursor_, current.seqs.back());  // the cursor once it is accepted
  ahead->limits = limits_;
  BatchLimits unkeyed = limits_;
  unkeyed.keyed = false;  // the worker keys it
  ahead->batch = std::move(spare_);
  GLASSBOX_RETURN_IF_ERROR(
      FirstBatchInto(journal_, {}, unkeyed, {ahead->after_seq, through_}, &ahead->batch));
  if (ahead->batch.seqs.empty()) return Status::Ok();
  const Batch* batch = &ahead->batch;
  Compression compression = policy_.compression;
  try {
    ahead->wire = std::async(std::launch::async, [batch, compression] {
      return Ahead::Done{base::Sha256Hex(batch->body), Compress(*batch, compression)};
    });
  } catch (const std::system_error&) {
    return Status::Ok();  // no thread to spare: the batch is built again when it is due
  }
  ahead_ = std::move(ahead);
  return Status::Ok();
}

Result<UploadReport> Run::Go() {
  auto headers = ResolveHeaders(policy_.headers);
  if (!headers.ok()) return headers.status();
  extra_headers_ = headers.value();
  GLASSBOX_RETURN_IF_ERROR(Prime());
  for (;;) {
    Batch batch;
    std::optional<Result<std::string>> wire;
    auto more = NextBatch(&batch, &wire);
    if (!more.ok()) return more.status();
    if (!more.value()) break;
    auto go_on = Send(batch, std::move(wire));
    if (!go_on.ok()) return go_on.status();
    if (!go_on.value()) return report_;
    spare_ = std::move(batch);
  }
  if (!options_.dry_run) GLASSBOX_RETURN_IF_ERROR(RecordSuccess(journal_, options_.now()));
  return report_;
}

Result<bool> Run::Send(Batch& batch, std::optional<Result<std::string>> prepared) {
  auto wire = prepared ? std::move(*prepared) : Compress(batch, policy_.compression);
  if (!wire.ok()) return wire.status();
  int64_t wire_bytes = static_cast<int64_t>(wire.value().size());
  if (report_.wire_bytes > 0 && report_.wire_bytes + wire_bytes > policy_.max_bytes_per_run) {
    if (!options_.dry_run) GLASSBOX_RETURN_IF_ERROR(RecordSuccess(journal_, options_.now()));
    return Stop(Outcome::kDeferred, "max_bytes_per_run " +
                                        std::to_string(policy_.max_bytes_per_run) +
                                        " reached; the rest goes next run");
  }
  HttpResponse response;
  GLASSBOX_RETURN_IF_ERROR(PrepareAhead(batch));
  if (!options_.dry_run) {
    GLASSBOX_RETURN_IF_ERROR(StoreInFlight(
        journal_, InFlight{RangeOf(batch).after_seq, RangeOf(batch).through_seq, batch.sha256}));
    HttpRequest request{policy_.endpoint,
                        BatchHeaders(batch.sha256, policy_.compression, extra_headers_),
                        &wire.value()};
    auto answer = transport_.Post(request);
    if (!answer.ok()) return OnNoAnswer(batch, answer.status());
    response = answer.value();
  } else {
    response.status = 200;
  }
  return OnAnswer(batch, response, wire_bytes);
}

Result<bool> Run::OnAnswer(Batch& batch, const HttpResponse& r, int64_t wire) {
  std::string http = "http " + std::to_string(r.status);
  if (r.status >= 200 && r.status < 300) {
    GLASSBOX_RETURN_IF_ERROR(Accept(batch, r.status, wire));
    return true;
  }
  GLASSBOX_RETURN_IF_ERROR(Ledger(batch, http));
  if (r.status == 413 && batch.events() > 1) {
    // Smaller batches for the rest of this run, and the halves of this one first.
    limits_.max_bytes = std::max<int64_t>(1, static_cast<int64_t>(batch.body.size()) / 2);
    limits_.max_events = std::max<int64_t>(1, batch.events() / 2);
    auto [first, second] = SplitBatch(batch);
    queue_.push_front(std::move(second));
    queue_.push_front(std::move(first));
    return true;
  }
  if (r.status == 429 || r.status == 503) {
    Millis cap = policy_.max_retry_after;
    auto delay = ParseRetryAfter(r.retry_after, options_.now(), cap);
    if (delay) {
      GLASSBOX_RETURN_IF_ERROR(Defer(*delay, false, http + " Retry-After"));
      return Stop(Outcome::kTransient, "collector answered " + http + "; retry after " +
                                           base::Rfc3339(*state_.not_before));
    }
  }
  if (r.status == 429 || r.status >= 500) {
    GLASSBOX_RETURN_IF_ERROR(Defer(Millis(-1), true, http));
    return Stop(Outcome::kTransient, "collector answered " + http + "; backing off until " +
                                         base::Rfc3339(*state_.not_before));
  }
  std::string excerpt = Sanitize(r.excerpt);
  return Stop(Outcome::kNeedsPerson,
              "collector refused a batch of " + std::to_string(batch.events()) + " event(s): " +
                  http + (excerpt.empty() ? "" : ": " + excerpt) + " (events kept pending)");
}

Result<bool> Run::OnNoAnswer(const Batch& batch, const Status& error) {
  GLASSBOX_RETURN_IF_ERROR(Ledger(batch, error.message().substr(0, 200)));
  if (error.code() == StatusCode::kPermanent) return Stop(Outcome::kNeedsPerson, error.message());
  GLASSBOX_RETURN_IF_ERROR(Defer(Millis(-1), true, error.message()));
  return Stop(Outcome::kTransient,
              error.message() + "; backing off until " + base::Rfc3339(*state_.not_before));
}

Status Run::Accept(const Batch& batch, long status, int64_t wire) {
  if (!options_.dry_run) {
    journal::LedgerEntry e{0,
                           base::Rfc3339(options_.now()),
                           "upload",
                           policy_.endpoint,
                           batch.events(),
                           static_cast<int64_t>(batch.body.size()),
                           batch.sha256,
                           "http " + std::to_string(status)};
    GLASSBOX_RETURN_IF_ERROR(journal_.SetStates(batch.seqs, journal::EventState::kSent, &e));
    GLASSBOX_RETURN_IF_ERROR(StoreInFlight(journal_, std::nullopt));
    if (!cleared_backoff_ && (state_.failures > 0 || state_.not_before)) {
      GLASSBOX_RETURN_IF_ERROR(ClearBackoff(journal_));
    }
    cleared_backoff_ = true;
  }
  cursor_ = std::max(cursor_, batch.seqs.back());
  ++report_.batches;
  report_.events += batch.events();
  report_.body_bytes += static_cast<int64_t>(batch.body.size());
  report_.wire_bytes += wire;
  progress_.events_sent = report_.events;
  progress_.wire_bytes = report_.wire_bytes;
  if (options_.progress) options_.progress(progress_);
  return Status::Ok();
}

// `delay` < 0: the backoff schedule for one more failure.
Status Run::Defer(Millis delay, bool failure, const std::string& reason) {
  if (failure) {
    ++state_.failures;
    delay = BackoffDelay(state_.failures, policy_.backoff_base, policy_.backoff_max,
                         options_.random01());
  }
  state_.not_before = options_.now() + delay;
  state_.not_before_reason = reason.substr(0, 120);
  if (!failure) state_.failures = 0;
  return RecordDeferral(journal_, state_);
}

Status Run::Ledger(const Batch& batch, const std::string& result) {
  journal::LedgerEntry e{0,
                         base::Rfc3339(options_.now()),
                         "upload",
                         policy_.endpoint,
                         batch.events(),
                         static_cast<int64_t>(batch.body.size()),
                         batch.sha256,
                         result};
  return journal_.AppendLedger(e);
}

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kDone:
      return "done";
    case Outcome::kDeferred:
      return "deferred";
    case Outcome::kTransient:
      return "transient";
    case Outcome::kNeedsPerson:
      return "needs_person";
  }
  return "?";
}

std::vector<std::pair<std::string, std::string>> BatchHeaders(
    const std::string& sha256, Compression compression,
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> h = {
      {"Content-Type", "application/x-ndjson"},
      {"User-Agent", std::string("glassbox/") + GLASSBOX_VERSION},
      {"Idempotency-Key", sha256}};
  if (compression != Compression::kNone)
    h.emplace_back("Content-Encoding", CompressionName(compression));
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

Result<UploadReport> Upload(journal::Journal& journal, const UploadPolicy& policy,
                            Transport& transport, const UploadOptions& options) {
  Run run(journal, policy, transport, options, {});
  return run.Go();
}

}  // namespace glassbox::replay
