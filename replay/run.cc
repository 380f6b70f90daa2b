#include "replay/run.h"

#include <cstring>
#include <sstream>
#include <thread>

#include "base/digest.h"
#include "base/ids.h"
#include "replay/lock.h"

namespace glassbox::replay {
namespace {

double CsprngUnit() {
  std::string bytes = base::RandomBytes(8);
  uint64_t v = 0;
  if (bytes.size() == 8) std::memcpy(&v, bytes.data(), 8);
  return static_cast<double>(v >> 11) / static_cast<double>(uint64_t{1} << 53);
}

ReplayResult Finished(Outcome outcome, std::string message) {
  ReplayResult r;
  r.outcome = outcome;
  r.message = std::move(message);
  return r;
}

// Consent, pending events and the endpoint: what must hold before time rules matter.
Result<Explanation> Gate(const journal::Journal& journal, const Config& config) {
  Explanation e;
  e.consent_forced = journal::ConsentFromEnvironment().has_value();
  e.consent = journal::EffectiveConsent(journal);
  auto counts = journal.CountStates();
  if (!counts.ok()) return counts.status();
  e.pending = counts.value().pending;
  e.local = counts.value().local;
  e.endpoint = config.upload.endpoint.empty()
                   ? Status::Permanent("upload.endpoint is not set" +
                                       (config.source.empty() ? std::string(" (no config file)")
                                                              : " in " + config.source))
                   : Status::Ok();
  return e;
}

}  // namespace

ReplayEnvironment WithDefaults(ReplayEnvironment env) {
  if (!env.now) env.now = [] { return std::chrono::system_clock::now(); };
  if (!env.utc_offset) env.utc_offset = LocalUtcOffset;
  if (!env.random01) env.random01 = CsprngUnit;
  if (!env.sleep) env.sleep = [](Millis d) { std::this_thread::sleep_for(d); };
  if (!env.make_transport) env.make_transport = NewCurlTransport;
  return env;
}

Result<Explanation> Explain(const journal::Journal& journal, const Config& config,
                            ReplayEnvironment env) {
  env = WithDefaults(std::move(env));
  auto gate = Gate(journal, config);
  if (!gate.ok()) return gate.status();
  Explanation e = gate.value();
  auto state = LoadState(journal);
  if (!state.ok()) return state.status();
  auto inflight = LoadInFlight(journal);
  if (!inflight.ok()) return inflight.status();
  e.inflight = inflight.value();
  TimePoint now = env.now();
  e.decision = Decide(config.upload, state.value(), now, env.utc_offset);
  if (e.consent != journal::Consent::kOn) {
    e.verdict = std::string("no upload: consent is ") + journal::ConsentName(e.consent) +
                (e.consent_forced ? " (forced by the environment)" : "");
  } else if (e.pending == 0) {
    e.verdict = "nothing to upload: no pending events";
  } else if (!e.endpoint.ok()) {
    e.verdict = "cannot upload: " + e.endpoint.message();
  } else if (!e.decision.allowed) {
    e.verdict = "deferred: " + e.decision.why + "; next allowed at " +
                base::Rfc3339(e.decision.next_allowed);
  } else {
    e.would_upload = true;
    e.verdict = "would upload " + std::to_string(e.pending) + " pending event(s) now";
  }
  return e;
}

std::string ExplanationText(const Explanation& e, const Config& config) {
  const UploadPolicy& u = config.upload;
  std::ostringstream out;
  out << e.verdict << "\n\n";
  out << "consent        " << journal::ConsentName(e.consent)
      << (e.consent_forced ? " (forced by DO_NOT_TRACK / GLASSBOX_CONSENT)" : "") << "\n";
  out << "pending        " << e.pending << " event(s)";
  if (e.local) out << "; " << e.local << " local-only (never uploaded)";
  out << "\n";
  out << "config         " << (config.source.empty() ? "(none: defaults)" : config.source) << "\n";
  out << "endpoint       " << (e.endpoint.ok() ? u.endpoint : "(not set)") << "\n";
  out << "windows        ";
  if (u.windows.empty()) out << "any time";
  for (size_t i = 0; i < u.windows.size(); ++i)
    out << (i ? ", " : "") << FormatWindow(u.windows[i]);
  out << " (local time)\n";
  out << "min_interval   " << (u.min_interval.count() ? FormatDuration(u.min_interval) : "none")
      << "\n";
  out << "jitter         " << (u.jitter.count() ? FormatDuration(u.jitter) : "none")
      << " (skipped with --no-jitter)\n";
  out << "rule           " << RuleName(e.decision.blocked_by) << ": " << e.decision.why << "\n";
  if (e.inflight) out << "interrupted    one batch will be resent first (same Idempotency-Key)\n";
  return out.str();
}

Result<ReplayResult> RunReplay(journal::Journal& journal, const std::string& journal_path,
                               const Config& config, const ReplayOptions& options,
                               ReplayEnvironment env) {
  env = WithDefaults(std::move(env));
  auto lock = ReplayLock::Acquire(journal_path);
  if (!lock.ok()) return lock.status();
  RetentionReport retention;
  if (!options.dry_run) {
    auto r = ApplyRetention(journal, config.retention, env.now());
    if (!r.ok()) return r.status();
    retention = r.value();
  }
  auto explained = Explain(journal, config, env);
  if (!explained.ok()) return explained.status();
  const Explanation& e = explained.value();
  if (e.consent != journal::Consent::kOn || e.pending == 0) {
    ReplayResult r = Finished(Outcome::kDone, e.verdict);
    r.retention = retention;
    return r;
  }
  if (!e.endpoint.ok()) return e.endpoint;
  if (!e.decision.allowed) {
    ReplayResult r = Finished(Outcome::kDeferred, e.verdict);
    r.next_allowed = e.decision.next_allowed;
    r.retention = retention;
    return r;
  }
  if (!options.no_jitter && !options.dry_run && config.upload.jitter.count() > 0) {
    env.sleep(JitterDelay(config.upload.jitter, env.random01()));
  }
  auto transport = env.make_transport(
      {config.upload.connect_timeout, config.upload.timeout, config.upload.ca_file});
  if (!transport.ok()) return transport.status();
  UploadOptions upload{options.dry_run, env.now, env.random01, options.progress};
  auto report = Upload(journal, config.upload, *transport.value(), upload);
  if (!report.ok()) return report.status();
  ReplayResult r = Finished(report.value().outcome, report.value().message);
  r.upload = report.value();
  r.retention = retention;
  if (r.outcome == Outcome::kTransient) {
    auto state = LoadState(journal);
    if (state.ok()) r.next_allowed = state.value().not_before;
  }
  return r;
}

}  // namespace glassbox::replay
