#pragma once
// Replay's memory between runs, kept in the journal's meta table so that the next cron run
// (on any process) respects a Retry-After or a backoff, and resends an interrupted batch with
// the same bytes and so the same idempotency key.
//
// Meta keys: replay.last_success, replay.not_before (RFC 3339), replay.failures,
// replay.not_before_reason, replay.inflight ("AFTER_SEQ THROUGH_SEQ SHA256").
#include <cstdint>
#include <optional>
#include <string>

#include "journal/journal.h"
#include "replay/policy.h"

namespace glassbox::replay {

// A batch handed to the transport whose answer has not been recorded: events in
// (after_seq, through_seq] that are still pending. A killed run leaves it behind.
struct InFlight {
  int64_t after_seq = 0;
  int64_t through_seq = 0;
  std::string sha256;
};

Result<ReplayState> LoadState(const journal::Journal& journal);
// Success: clears failures and not_before, sets last_success.
Status RecordSuccess(journal::Journal& journal, TimePoint at);
// A transient failure or a Retry-After: sets not_before, and failures when `count_failure`.
Status RecordDeferral(journal::Journal& journal, const ReplayState& state);
// Clears failures and not_before after a batch got through (the run may still stop later).
Status ClearBackoff(journal::Journal& journal);

Result<std::optional<InFlight>> LoadInFlight(const journal::Journal& journal);
Status StoreInFlight(journal::Journal& journal, const std::optional<InFlight>& inflight);

}  // namespace glassbox::replay
