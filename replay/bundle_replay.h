#pragma once
// replay --bundle: a bundle uploaded from a connected machine under that machine's consent,
// config and backoff state, by the same upload loop, batching, idempotency keys and ledger as
// a journal replay (replay/run.h).
//
// How: the bundle's events are staged, pending and in bundle order, into a staging journal
// kept beside the machine's journal (DIR/bundles/EVENTS_SHA256.db, mode 0600), and RunReplay
// runs on it. The staging journal holds the same lines in the same order as the source
// journal did, so the batches are byte for byte those the source would have sent. It
// survives an interrupted or deferred delivery, so the next run resends only what the
// collector has not acknowledged (an interrupted batch with the same Idempotency-Key), and it
// is removed once every event is sent, when the machine's ledger gets a row of kind "bundle".
// Around each run the machine's replay state (last success, backoff) is copied into the
// staging journal and back, and the staging journal's new ledger rows are copied to the
// machine's ledger.
#include <string>

#include "journal/journal.h"
#include "replay/bundle.h"
#include "replay/run.h"

namespace glassbox::replay {

struct BundleReplayResult {
  ReplayResult replay;
  bool already_delivered = false;  // the machine's ledger says so: nothing was sent
  bool complete = false;           // every event of the bundle is now delivered
};

// REQUIRES: `machine_path` is the file `machine` was opened from. `options.dry_run` stages
// into a temporary journal, removed afterwards, and changes nothing else. The bundle is
// consumed: once staged, its bytes are dropped before the upload starts.
Result<BundleReplayResult> ReplayBundle(Bundle bundle, const std::string& file,
                                        journal::Journal& machine, const std::string& machine_path,
                                        const Config& config, const ReplayOptions& options,
                                        ReplayEnvironment env);

// DIR/bundles/EVENTS_SHA256.db for a machine journal at DIR/NAME.
std::string StagingPath(const std::string& machine_path, const Manifest& manifest);

}  // namespace glassbox::replay
