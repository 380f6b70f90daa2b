#pragma once
// The upload loop: pending events, batch by batch, through a Transport, with the outcome of
// each batch written to the journal before the next one goes. Invariants:
//  - a batch's events become `sent` in the same transaction as its ledger row, and only after
//    a 2xx, so a crash at any point leaves them pending (sent again, never lost);
//  - before a batch is handed to the transport its range is saved (replay.inflight), and the
//    next run resends exactly that batch first: same bytes, same Idempotency-Key, so a
//    collector that already stored it can drop the copy.
#include <cstdint>
#include <functional>
#include <string>

#include "journal/journal.h"
#include "replay/config.h"
#include "replay/policy.h"
#include "replay/transport.h"

namespace glassbox::replay {

enum class Outcome {
  kDone,         // everything due was sent (or nothing was due)
  kDeferred,     // policy stopped the run (byte budget, window, interval): events left pending
  kTransient,    // a transient failure or Retry-After: events left pending, backoff stored
  kNeedsPerson,  // TLS, a permanent 4xx, an event too large for the collector
};
const char* OutcomeName(Outcome o);

struct Progress {
  int64_t events_sent = 0;
  int64_t events_total = 0;  // pending when the run started
  int64_t wire_bytes = 0;
};

struct UploadOptions {
  bool dry_run = false;  // build and compress every batch, send nothing, change nothing
  std::function<TimePoint()> now = [] { return std::chrono::system_clock::now(); };
  std::function<double()> random01;               // for backoff jitter; REQUIRES: set
  std::function<void(const Progress&)> progress;  // after each batch, when set
};

struct UploadReport {
  Outcome outcome = Outcome::kDone;
  int64_t batches = 0, events = 0;
  int64_t body_bytes = 0;  // uncompressed NDJSON
  int64_t wire_bytes = 0;  // as sent
  std::string message;     // one line for people: what stopped the run, if anything
};

// Sends pending events recorded up to now (events recorded meanwhile wait for the next run).
// REQUIRES: the caller holds the replay lock and has checked consent and policy.
Result<UploadReport> Upload(journal::Journal& journal, const UploadPolicy& policy,
                            Transport& transport, const UploadOptions& options);

// The request headers of a batch: Content-Type, Content-Encoding, User-Agent, Idempotency-Key,
// then `extra` (the configured headers, already resolved).
std::vector<std::pair<std::string, std::string>> BatchHeaders(
    const std::string& sha256, Compression compression,
    const std::vector<std::pair<std::string, std::string>>& extra);

}  // namespace glassbox::replay
