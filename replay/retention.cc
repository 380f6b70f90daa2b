#include "replay/retention.h"

#include "base/ids.h"

namespace glassbox::replay {

int64_t RetentionCutoffMs(Millis age, TimePoint now) {
  if (age.count() <= 0) return 0;
  return std::max<int64_t>(0, base::UnixMillis(now) - age.count());
}

Result<RetentionReport> ApplyRetention(journal::Journal& journal, const RetentionPolicy& policy,
                                       TimePoint now) {
  RetentionReport r;
  GLASSBOX_RETURN_IF_ERROR(journal.DropOldBlocks(RetentionCutoffMs(policy.max_age, now),
                                                 policy.max_journal_bytes, "retention_dropped",
                                                 &r.dropped));
  if (r.dropped > 0) {
    journal::LedgerEntry e{
        0,  base::Rfc3339(now), "retention", "max_age/max_journal_bytes", r.dropped, 0,
        "", "dropped"};
    GLASSBOX_RETURN_IF_ERROR(journal.AppendLedger(e));
  }
  int64_t cutoff = RetentionCutoffMs(policy.keep_sent, now);
  if (cutoff > 0) {
    journal::LedgerEntry e{0, base::Rfc3339(now), "retention", "keep_sent", 0, 0, "", "pruned"};
    GLASSBOX_RETURN_IF_ERROR(journal.DeleteInStateBefore(
        journal::EventState::kSent, cutoff, "retention_sent_pruned", nullptr, &r.sent_pruned));
    e.events = r.sent_pruned;
    if (r.sent_pruned > 0) GLASSBOX_RETURN_IF_ERROR(journal.AppendLedger(e));
  }
  return r;
}

}  // namespace glassbox::replay
