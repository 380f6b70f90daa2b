#pragma once
// One `glassbox replay`: lock, retention, consent, policy, jitter, upload, in that order, and
// `--explain`, which walks the same rules without touching the network or the journal.
// Side effects (clock, zone, randomness, sleeping, the transport) come in through
// ReplayEnvironment so tests can run a whole replay against a fake collector.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "journal/consent.h"
#include "journal/journal.h"
#include "replay/config.h"
#include "replay/policy.h"
#include "replay/retention.h"
#include "replay/state.h"
#include "replay/transport.h"
#include "replay/uploader.h"

namespace glassbox::replay {

struct ReplayEnvironment {
  std::function<TimePoint()> now = [] { return std::chrono::system_clock::now(); };
  UtcOffsetFn utc_offset = LocalUtcOffset;
  std::function<double()> random01;   // default: OpenSSL's CSPRNG
  std::function<void(Millis)> sleep;  // default: std::this_thread::sleep_for
  std::function<Result<std::unique_ptr<Transport>>(const TransportOptions&)> make_transport =
      NewCurlTransport;
};
// Fills the defaults of unset members.
ReplayEnvironment WithDefaults(ReplayEnvironment env);

struct ReplayOptions {
  bool dry_run = false;
  bool no_jitter = false;
  std::function<void(const Progress&)> progress;
};

struct ReplayResult {
  Outcome outcome = Outcome::kDone;
  std::string message;  // one line for people
  UploadReport upload;
  RetentionReport retention;
  std::optional<TimePoint> next_allowed;  // when deferred by policy or backoff
};

// REQUIRES: `journal_path` is the file `journal` was opened from (the lock lives beside it).
Result<ReplayResult> RunReplay(journal::Journal& journal, const std::string& journal_path,
                               const Config& config, const ReplayOptions& options,
                               ReplayEnvironment env);

struct Explanation {
  journal::Consent consent = journal::Consent::kOn;
  bool consent_forced = false;  // by DO_NOT_TRACK / GLASSBOX_CONSENT
  int64_t pending = 0, local = 0;
  Status endpoint;  // OK, or why there is nowhere to send
  Decision decision;
  std::optional<InFlight> inflight;
  bool would_upload = false;
  std::string verdict;  // one line: "would upload 12 events now" / which rule blocks, until when
};
Result<Explanation> Explain(const journal::Journal& journal, const Config& config,
                            ReplayEnvironment env);
std::string ExplanationText(const Explanation& e, const Config& config);

}  // namespace glassbox::replay
