// export: events through the payload builder into a bundle file, then `exported`.
//
// Order of effects, so that a crash never loses an event: the file is written to a temp name,
// synced and renamed into place; only then are the events marked exported (with the ledger
// row, one transaction). A crash in between leaves a complete bundle and the events still
// pending: the next export carries them again, and import skips what it already has.
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <system_error>
#include <thread>
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

// Batches bound memory: the bundle's event lines are the batches' bodies in order. Cut at
// whole blocks when their stored frames go in as they are (a level-2 block fits the limits).
constexpr BatchLimits ExportBatch(bool keep_block_frames) {
  return {4096, 4 << 20, /*keyed=*/false, /*whole_blocks=*/keep_block_frames};
}

// A block's stored frame goes into the bundle as it is when a reader takes it exactly like a
// frame export writes (BUNDLE.md, "Writing"): one regular zstd frame holding exactly the
// batch's text, with a content checksum, no dictionary, and a window no larger than export's
// own. libzstd writes journal blocks this way; anything else is compressed again.
bool FrameFitsBundle(std::string_view frame, size_t text_bytes) {
  if (frame.size() < 6) return false;
  // The frame header (RFC 8878, 3.1.1.1): after the magic, a descriptor byte, then the window
  // descriptor unless the frame is single-segment (its window is then its content).
  auto descriptor = static_cast<uint8_t>(frame[4]);
  bool single_segment = descriptor & 0x20, checksum = descriptor & 0x04;
  bool dictionary = descriptor & 0x03;
  uint64_t window = text_bytes;
  if (!single_segment) {
    auto w = static_cast<uint8_t>(frame[5]);
    uint64_t base = uint64_t{1} << (10 + (w >> 3));
    window = base + base / 8 * (w & 7);
  }
  return checksum && !dictionary && window <= (uint64_t{1} << kBundleWindowLog) &&
         ZSTD_getFrameContentSize(frame.data(), frame.size()) == text_bytes &&
         ZSTD_findFrameCompressedSize(frame.data(), frame.size()) == frame.size();
}

// Room kept for the manifest line under max_bytes: its fixed members take ~600 bytes, and
// each schema URI in it ~60.
constexpr int64_t kManifestRoom = 64 << 10;

// The event lines' frame goes to a scratch file as it is compressed: the manifest, which must
// come first in the bundle, is known only after the last event, and a bundle may hold up to
// max_bytes of events, far more than export should keep in memory.
struct Collected {
  Collected(const ExportOptions& o, int scratch_fd)
      : room(o.max_bytes - std::min(kManifestRoom, o.max_bytes / 2)),
        keep_block_frames(o.keep_block_frames),
        scratch(scratch_fd),
        body(o.level, [this](std::string_view compressed) {
          return base::WriteAll(scratch, compressed, "export scratch file");
        }) {}
  ~Collected() {
    (void)Compressed();  // the helper writes to scratch
    ::close(scratch);
  }
  Collected(const Collected&) = delete;
  Collected& operator=(const Collected&) = delete;

  // A batch that does not go in as a stored frame is compressed on a helper thread while this
  // one digests it and reads the next batch from the journal (compressing was half of an
  // export's time). One batch at a time: at most two are held (8 MiB). Without a second core,
  // or a thread, it is compressed here. Takes `text`'s bytes and gives `text` the previous
  // batch's buffer, emptied with its capacity kept: a fresh ~3 MB buffer per batch was faulted
  // in page by page.
  void Compress(std::string& text) {
    compressing.swap(text);
    body_open = true;
    static const bool kOneCore = std::thread::hardware_concurrency() <= 1;  // reads /sys: once
    if (!kOneCore) {
      try {
        helper = std::thread([this] { compressed = body.Add(compressing); });
        return;
      } catch (const std::system_error&) {
      }
    }
    compressed = body.Add(compressing);
  }
  // Waits until the batch given to Compress() is in the frame.
  Status Compressed() {
    if (helper.joinable()) helper.join();
    compressing.clear();
    return compressed;
  }

  // Ends the frame being compressed, if one is, and puts a block's stored frame after it.
  Status CopyFrame(std::string_view frame) {
    GLASSBOX_RETURN_IF_ERROR(EndBody());
    return base::WriteAll(scratch, frame, "export scratch file");
  }
  Status EndBody() {
    GLASSBOX_RETURN_IF_ERROR(Compressed());
    if (!body_open) return Status::Ok();
    body_open = false;
    return body.Finish().status();  // the frame's end goes to the scratch file
  }

  int64_t room;       // event bytes that still fit under max_bytes
  bool full = false;  // an event was left out for want of room
  bool keep_block_frames;
  std::vector<int64_t> seqs;
  int scratch;  // the compressed event lines so far
  detail::FrameWriter body;
  bool body_open = false;   // body holds lines of a frame not yet ended
  std::string compressing;  // the batch the helper thread compresses into body
  std::thread helper;
  Status compressed;  // the helper's result
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
  GLASSBOX_RETURN_IF_ERROR(c->Compressed());  // the previous batch
  batch.body.resize(batch.body.size() - rest.size());
  if (c->keep_block_frames && taken == batch.seqs.size() &&
      FrameFitsBundle(batch.frame, batch.body.size())) {
    GLASSBOX_RETURN_IF_ERROR(c->CopyFrame(batch.frame));
    c->sha.Update(batch.body);
    c->bytes += static_cast<int64_t>(batch.body.size());
  } else {
    c->Compress(batch.body);
    c->sha.Update(c->compressing);  // read by both threads, written by neither
    c->bytes += static_cast<int64_t>(c->compressing.size());
  }
  c->seqs.insert(c->seqs.end(), batch.seqs.begin(), batch.seqs.begin() + taken);
  return Status::Ok();
}

Status Collect(const journal::Journal& journal, const EventFilter& filter, Collected* c) {
  Status inner;
  auto limits = ExportBatch(c->keep_block_frames);
  GLASSBOX_RETURN_IF_ERROR(BuildBatches(journal, filter, limits, [&](Batch&& b) {
    inner = AddBatch(b, c);
    return inner.ok() && !c->full;
  }));
  GLASSBOX_RETURN_IF_ERROR(inner);
  GLASSBOX_RETURN_IF_ERROR(c->EndBody());
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

// Copies the scratch file's compressed events into `out`, digesting them for the trailer.
Status CopyScratch(int fd, base::PrivateFileWriter& out, detail::Sha256Stream& sha) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return Status::IoError("export scratch file: cannot rewind");
  std::string chunk(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("export scratch file: cannot read it back");
    if (n == 0) return Status::Ok();
    std::string_view piece(chunk.data(), static_cast<size_t>(n));
    sha.Update(piece);
    GLASSBOX_RETURN_IF_ERROR(out.Append(piece));
  }
}

// The bundle file: the manifest's frame, the events' frame, the trailer over both.
Status WriteBundleFile(const Manifest& m, Collected& c, const ExportOptions& o) {
  std::string manifest_line = base::CanonicalJson(m.ToJson()) + "\n";
  if (static_cast<int64_t>(manifest_line.size()) + c.bytes > o.max_bytes) {
    return Status::InvalidArgument("the manifest does not fit in a bundle of max_bytes");
  }
  detail::FrameWriter head(o.level);
  GLASSBOX_RETURN_IF_ERROR(head.Add(manifest_line));
  auto head_frame = head.Finish();
  if (!head_frame.ok()) return head_frame.status();
  base::PrivateFileWriter out;
  GLASSBOX_RETURN_IF_ERROR(out.Open(o.out_path));
  detail::Sha256Stream sha;
  sha.Update(head_frame.value());
  GLASSBOX_RETURN_IF_ERROR(out.Append(head_frame.value()));
  if (!c.seqs.empty()) GLASSBOX_RETURN_IF_ERROR(CopyScratch(c.scratch, out, sha));
  GLASSBOX_RETURN_IF_ERROR(out.Append(detail::Trailer(sha.Final())));
  return out.Commit();
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
  auto scratch = base::OpenScratchFile(base::DirName(o.out_path));
  if (!scratch.ok()) return scratch.status();
  Collected c(o, scratch.value());
  GLASSBOX_RETURN_IF_ERROR(Collect(journal, filter.value(), &c));
  if (complete) *complete = !c.full;
  auto manifest = BuildManifest(journal, c, o);
  if (!manifest.ok()) return manifest.status();
  GLASSBOX_RETURN_IF_ERROR(WriteBundleFile(manifest.value(), c, o));
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
