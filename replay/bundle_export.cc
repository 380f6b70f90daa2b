// export: events through the payload builder into a bundle file, then `exported`.
//
// Order of effects, so that a crash never loses an event: the file is written to a temp name,
// synced and renamed into place; only then are the events marked exported (with the ledger
// row, one transaction). A crash in between leaves a complete bundle and the events still
// pending: the next export carries them again, and import skips what it already has.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <unordered_set>

#include "base/canonical_json.h"
#include "base/files.h"
#include "journal/consent.h"
#include "replay/bundle.h"
#include "replay/bundle_internal.h"
#include "replay/event_header.h"
#include "replay/lock.h"

namespace glassbox::replay {
namespace {

// Batches only bound memory here: the bundle's event lines are the batches' bodies in order.
constexpr BatchLimits kExportBatch{4096, 4 << 20, /*keyed=*/false};

// Room kept for the manifest line under max_bytes: its fixed members take ~600 bytes, and
// each schema URI in it ~60.
constexpr int64_t kManifestRoom = 64 << 10;

struct Collected {
  Collected(int level, int64_t max_bytes)
      : room(max_bytes - std::min(kManifestRoom, max_bytes / 2)), body(level) {}
  int64_t room;       // event bytes that still fit under max_bytes
  bool full = false;  // an event was left out for want of room
  std::vector<int64_t> seqs;
  detail::FrameWriter body;
  detail::Sha256Stream sha;
  int64_t bytes = 0;
  std::set<std::string> schemas;
  std::string first, last;
};

// The manifest facts of one line, computed as the reader will check them.
Status Note(std::string_view line, Collected* c) {
  EventHeader h;
  if (!ReadEventHeader(line, &h)) {
    return Status::Corruption("journal holds an event line without schema or recorded_at");
  }
  c->schemas.insert(std::move(h.schema));
  if (c->first.empty() || h.recorded_at < c->first) c->first = h.recorded_at;
  if (h.recorded_at > c->last) c->last = std::move(h.recorded_at);
  return Status::Ok();
}

// Takes the batch's lines while they fit in the room left; sets c->full at the first that
// does not.
Status AddBatch(Batch& batch, Collected* c) {
  std::string_view rest = batch.body;
  size_t taken = 0;
  for (; taken < batch.seqs.size(); ++taken) {
    size_t nl = rest.find('\n');
    if (static_cast<int64_t>(nl + 1) > c->room) {
      c->full = true;
      break;
    }
    GLASSBOX_RETURN_IF_ERROR(Note(rest.substr(0, nl), c));
    c->room -= static_cast<int64_t>(nl + 1);
    rest.remove_prefix(nl + 1);
  }
  std::string_view body = std::string_view(batch.body).substr(0, batch.body.size() - rest.size());
  GLASSBOX_RETURN_IF_ERROR(c->body.Add(body));
  c->sha.Update(body);
  c->bytes += static_cast<int64_t>(body.size());
  c->seqs.insert(c->seqs.end(), batch.seqs.begin(), batch.seqs.begin() + taken);
  return Status::Ok();
}

Status Collect(const journal::Journal& journal, const EventFilter& filter, Collected* c) {
  Status inner;
  GLASSBOX_RETURN_IF_ERROR(BuildBatches(journal, filter, kExportBatch, [&](Batch&& b) {
    inner = AddBatch(b, c);
    return inner.ok() && !c->full;
  }));
  GLASSBOX_RETURN_IF_ERROR(inner);
  if (c->full && c->seqs.empty()) {
    return Status::InvalidArgument("the first event does not fit in a bundle of max_bytes");
  }
  return Status::Ok();
}

Result<EventFilter> ExportFilter(const ExportOptions& o) {
  EventFilter f = o.filter;
  if (f.state == journal::EventState::kLocal) {
    return Status::InvalidArgument(
        "local events never leave this machine; they cannot be exported");
  }
  if (f.state && f.state != journal::EventState::kPending && !o.all) {
    return Status::InvalidArgument("exporting sent or exported events again needs --all");
  }
  f.all_states = o.all;
  return f;
}

Result<Manifest> BuildManifest(const journal::Journal& journal, Collected& c,
                               const ExportOptions& o) {
  Manifest m;
  m.created_at = base::Rfc3339(o.now());
  m.source_install_id = journal.install_id();
  m.glassbox_version = GLASSBOX_VERSION;
  m.event_count = static_cast<int64_t>(c.seqs.size());
  m.events_bytes = c.bytes;
  m.first_recorded_at = c.first;
  m.last_recorded_at = c.last;
  m.schemas.assign(c.schemas.begin(), c.schemas.end());
  m.events_sha256 = c.sha.HexFinal();
  if (o.sign_key) {
    m.signed_by = KeyId(o.sign_key);
    auto sig = Sign(o.sign_key, m.SignedMessage());
    if (!sig.ok()) return sig.status();
    m.signature = sig.value();
  }
  return m;
}

Result<std::string> FileBytes(const Manifest& m, Collected& c, const ExportOptions& o) {
  std::string manifest_line = base::CanonicalJson(m.ToJson()) + "\n";
  if (static_cast<int64_t>(manifest_line.size()) + c.bytes > o.max_bytes) {
    return Status::InvalidArgument("the manifest does not fit in a bundle of max_bytes");
  }
  detail::FrameWriter head(o.level);
  GLASSBOX_RETURN_IF_ERROR(head.Add(manifest_line));
  auto out = head.Finish();
  if (!out.ok()) return out.status();
  if (c.seqs.empty()) {
    detail::AppendTrailer(&out.value());
    return out;
  }
  auto body = c.body.Finish();
  if (!body.ok()) return body.status();
  out.value() += body.value();
  detail::AppendTrailer(&out.value());
  return out;
}

// The exported events that were pending: only those become `exported`; with --all an event
// already `sent` stays sent (it did reach a collector) and an `exported` one stays so.
Result<std::vector<int64_t>> PendingOnly(const journal::Journal& journal,
                                         const std::vector<int64_t>& seqs, bool all) {
  if (!all || seqs.empty()) return seqs;
  std::unordered_set<int64_t> pending;
  GLASSBOX_RETURN_IF_ERROR(
      journal.Scan({journal::EventState::kPending, seqs.front() - 1}, [&](const auto& e) {
        pending.insert(e.seq);
        return e.seq < seqs.back();
      }));
  std::vector<int64_t> out;
  for (int64_t s : seqs) {
    if (pending.count(s)) out.push_back(s);
  }
  return out;
}

}  // namespace

Result<Manifest> ExportBundle(journal::Journal& journal, const ExportOptions& o, bool* complete) {
  journal::Consent consent = journal::EffectiveConsent(journal);
  if (consent != journal::Consent::kOn) {
    return Status::PolicyDenied(std::string("export refused: consent is ") +
                                journal::ConsentName(consent) +
                                ", so no event leaves this machine");
  }
  auto filter = ExportFilter(o);
  if (!filter.ok()) return filter.status();
  // A replay running meanwhile could send what this export carries: one at a time.
  auto lock = ReplayLock::Acquire(journal.path());
  if (!lock.ok()) return lock.status();
  struct stat st {};
  if (::lstat(o.out_path.c_str(), &st) == 0) {
    return Status::InvalidArgument(o.out_path + ": exists; refusing to overwrite a bundle");
  }
  Collected c(o.level, o.max_bytes);
  GLASSBOX_RETURN_IF_ERROR(Collect(journal, filter.value(), &c));
  if (complete) *complete = !c.full;
  auto manifest = BuildManifest(journal, c, o);
  if (!manifest.ok()) return manifest.status();
  auto bytes = FileBytes(manifest.value(), c, o);
  if (!bytes.ok()) return bytes.status();
  GLASSBOX_RETURN_IF_ERROR(base::WritePrivateFile(o.out_path, bytes.value()));
  const Manifest& m = manifest.value();
  journal::LedgerEntry entry{
      0, m.created_at, "export", o.out_path, m.event_count, m.events_bytes, m.events_sha256, "ok"};
  auto to_mark = PendingOnly(journal, c.seqs, o.all);
  if (!to_mark.ok()) return to_mark.status();
  Status marked = journal.SetStates(to_mark.value(), journal::EventState::kExported, &entry);
  if (!marked.ok()) {
    ::unlink(o.out_path.c_str());  // the events stay pending: nothing was carried out
    return marked;
  }
  return manifest;
}

}  // namespace glassbox::replay
