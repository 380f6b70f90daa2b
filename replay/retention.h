#pragma once
// Retention: bounds the journal by age and size, and prunes sent events after a while. What
// is dropped is counted (counters retention_dropped and retention_sent_pruned, shown by
// inspect) and written to the ledger.
#include <cstdint>

#include "journal/journal.h"
#include "replay/config.h"
#include "replay/policy.h"

namespace glassbox::replay {

struct RetentionReport {
  int64_t dropped = 0;      // events of any state, by max_age or max_journal_bytes
  int64_t sent_pruned = 0;  // sent events older than keep_sent
};

// The recorded_ms bound below which `age` drops events; 0 (nothing) when age is 0.
int64_t RetentionCutoffMs(Millis age, TimePoint now);

Result<RetentionReport> ApplyRetention(journal::Journal& journal, const RetentionPolicy& policy,
                                       TimePoint now);

}  // namespace glassbox::replay
