// replay --bundle (see bundle_replay.h for the design). Crash cases: killed while staging,
// the staging journal is empty or complete (one transaction) and is staged or reused next
// time; killed during the upload, the staging journal keeps its sent states and in-flight
// batch, exactly as a journal replay would; killed before the ledger rows are copied, the
// next run copies them (rows are copied by id, from the last one copied).
#include <unistd.h>

#include <cstdlib>

#include "base/files.h"
#include "journal/consent.h"
#include "replay/bundle_replay.h"
#include "replay/lock.h"

namespace glassbox::replay {
namespace {

constexpr const char* kStateKeys[] = {"replay.last_success", "replay.not_before", "replay.failures",
                                      "replay.not_before_reason"};
constexpr const char* kCopiedLedger = "bundle.ledger_copied";  // staging meta: last row copied

Result<std::string> MetaOrEmpty(const journal::Journal& j, const char* key) {
  auto v = j.GetMeta(key);
  if (!v.ok() && v.status().code() == StatusCode::kNotFound) return std::string();
  return v;
}

// Replay state is the machine's: the bundle waits out the same backoff and counts toward the
// same min_interval.
Status CopyState(const journal::Journal& from, journal::Journal& to) {
  for (const char* key : kStateKeys) {
    auto v = MetaOrEmpty(from, key);
    if (!v.ok()) return v.status();
    GLASSBOX_RETURN_IF_ERROR(to.SetMeta(key, v.value()));
  }
  return Status::Ok();
}

Status CopyLedger(journal::Journal& staging, journal::Journal& machine) {
  auto mark = MetaOrEmpty(staging, kCopiedLedger);
  if (!mark.ok()) return mark.status();
  int64_t copied = mark.value().empty() ? 0 : std::stoll(mark.value()), last = copied;
  Status st;
  GLASSBOX_RETURN_IF_ERROR(staging.ListLedger([&](const journal::LedgerEntry& e) {
    if (e.id <= copied) return true;
    st = machine.AppendLedger(e);
    last = e.id;
    return st.ok();
  }));
  GLASSBOX_RETURN_IF_ERROR(st);
  return staging.SetMeta(kCopiedLedger, std::to_string(last));
}

Result<bool> AlreadyDelivered(const journal::Journal& machine, const Manifest& m) {
  bool found = false;
  GLASSBOX_RETURN_IF_ERROR(machine.ListLedger([&](const journal::LedgerEntry& e) {
    found = found || (e.kind == "bundle" && e.sha256 == m.events_sha256 && e.result == "delivered");
    return !found;
  }));
  return found;
}

// A fresh staging journal gets the bundle's events; one left by an earlier run is reused
// (its name is the bundle's digest, and staging is one transaction: it is all there or empty).
// The bundle is consumed: its bytes are not held through the upload.
Result<std::unique_ptr<journal::Journal>> OpenStaging(Bundle bundle, const std::string& path) {
  journal::Options o;
  o.path = path;
  // Staging is temporary (removed once delivered): compress for speed, not for size at rest.
  o.seal_compression_level = o.merge_compression_level = 1;
  auto j = journal::Journal::Open(o);
  if (!j.ok()) return j.status();
  auto last = j.value()->LastSeq();
  if (!last.ok()) return last.status();
  if (last.value() == 0) GLASSBOX_RETURN_IF_ERROR(StageBundle(std::move(bundle), *j.value()));
  // The machine's consent was checked; the environment's still applies to both alike.
  GLASSBOX_RETURN_IF_ERROR(journal::StoreConsent(*j.value(), journal::Consent::kOn));
  return j;
}

void RemoveStaging(const std::string& path) {
  journal::RemoveJournalFiles(path);
  ::unlink((path + ".replay-lock").c_str());
}

// The machine's config, minus retention: a bundle's events are dropped by nobody on the way.
Config ForStaging(const Config& config) {
  Config c = config;
  c.retention.max_age = Millis(0);
  c.retention.max_journal_bytes = 0;
  c.retention.keep_sent = Millis(0);
  return c;
}

Result<BundleReplayResult> Deliver(Bundle bundle, const std::string& file,
                                   journal::Journal& machine, const std::string& path,
                                   const Config& config, const ReplayOptions& options,
                                   ReplayEnvironment env) {
  BundleReplayResult out;
  const Manifest m = bundle.manifest;
  auto staging = OpenStaging(std::move(bundle), path);
  if (!staging.ok()) return staging.status();
  journal::Journal& s = *staging.value();
  GLASSBOX_RETURN_IF_ERROR(CopyState(machine, s));
  auto run = RunReplay(s, path, ForStaging(config), options, std::move(env));
  if (!run.ok()) return run.status();
  out.replay = run.value();
  if (options.dry_run) return out;
  GLASSBOX_RETURN_IF_ERROR(CopyLedger(s, machine));
  GLASSBOX_RETURN_IF_ERROR(CopyState(s, machine));
  auto counts = s.CountStates();
  if (!counts.ok()) return counts.status();
  out.complete = counts.value().pending == 0;
  if (!out.complete) return out;
  journal::LedgerEntry e{0,
                         base::Rfc3339(env.now ? env.now() : base::Clock::now()),
                         "bundle",
                         file,
                         m.event_count,
                         m.events_bytes,
                         m.events_sha256,
                         "delivered"};
  GLASSBOX_RETURN_IF_ERROR(machine.AppendLedger(e));
  staging.value().reset();
  RemoveStaging(path);
  ::rmdir(base::DirName(path).c_str());  // only if no other bundle is pending there
  return out;
}

}  // namespace

std::string StagingPath(const std::string& machine_path, const Manifest& manifest) {
  return base::DirName(machine_path) + "/bundles/" + manifest.events_sha256 + ".db";
}

Result<BundleReplayResult> ReplayBundle(Bundle bundle, const std::string& file,
                                        journal::Journal& machine, const std::string& machine_path,
                                        const Config& config, const ReplayOptions& options,
                                        ReplayEnvironment env) {
  BundleReplayResult out;
  journal::Consent consent = journal::EffectiveConsent(machine);
  if (consent != journal::Consent::kOn) {
    out.replay.message = std::string("no upload: consent is ") + journal::ConsentName(consent);
    return out;
  }
  auto lock = ReplayLock::Acquire(machine_path);  // one replay, export or import at a time
  if (!lock.ok()) return lock.status();
  auto delivered = AlreadyDelivered(machine, bundle.manifest);
  if (!delivered.ok()) return delivered.status();
  if (delivered.value()) {
    out.already_delivered = out.complete = true;
    out.replay.message = "nothing to upload: this bundle was delivered already";
    return out;
  }
  if (!options.dry_run) {
    std::string staging = StagingPath(machine_path, bundle.manifest);
    return Deliver(std::move(bundle), file, machine, staging, config, options, std::move(env));
  }
  // A dry run stages into a private temporary directory, removed afterwards.
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/glassbox-dry-run-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return Status::IoError(tmpl + ": cannot create");
  auto r = Deliver(std::move(bundle), file, machine, tmpl + "/staging.db", config, options,
                   std::move(env));
  RemoveStaging(tmpl + "/staging.db");
  ::rmdir(tmpl.c_str());
  return r;
}

}  // namespace glassbox::replay
