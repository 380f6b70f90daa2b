#pragma once
// Bundles carry a journal's events across an air gap in one file: a standard zstd stream of
// NDJSON whose first line is a manifest and every further line one event, byte for byte as
// the payload builder gives it. The format is specified once, in replay/BUNDLE.md.
//
// Readers trust nothing: ParseBundle checks every frame, limit, line, schema and digest (and
// the signature when asked) before it returns, and a refused bundle yields nothing at all.
#include <compare>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/ids.h"
#include "glassbox/status.h"
#include "journal/journal.h"
#include "replay/payload.h"
#include "replay/signing.h"
#include "schema/schema.h"

namespace glassbox::replay {

inline constexpr int kBundleFormatVersion = 1;
inline constexpr int kBundleWindowLog = 22;  // writers' zstd window: 4 MiB
// Level 3 with the 4 MiB window: 12% larger than level 9 and four times faster to write
// (bench/README.md, "Bundles"); `export --level` trades the other way.
inline constexpr int kBundleCompressionLevel = 3;

// What a reader accepts; each bound has a CLI flag and a [bundle] config key (README.md).
struct BundleLimits {
  int64_t max_bytes = 256ll << 20;   // decompressed bytes (manifest + events); also the file
  int64_t max_line_bytes = 1 << 20;  // one line, without its newline
  int window_log_max = 23;           // largest zstd window accepted: 2^23 bytes = 8 MiB
  int max_depth = 32;                // JSON nesting inside one line
  Status Check() const;              // InvalidArgument naming the bound that is out of range
};

struct Manifest {
  int64_t format = kBundleFormatVersion;  // "glassbox_bundle"
  std::string created_at;                 // RFC 3339
  std::string source_install_id;
  std::string glassbox_version;
  int64_t event_count = 0;
  int64_t events_bytes = 0;                         // the event lines with their newlines
  std::string first_recorded_at, last_recorded_at;  // empty (JSON null) for no events
  std::vector<std::string> schemas;                 // iglu: URIs, sorted, unique
  std::string events_sha256;                        // of the event lines, as they follow
  std::string signed_by;                            // key id (KeyId); empty: unsigned
  std::string signature;                            // base64 Ed25519; empty: unsigned

  nlohmann::json ToJson() const;  // every member; signed_by/signature only when set
  // What the signature covers: RFC 8785 canonical JSON of ToJson() without "signature".
  std::string SignedMessage() const;
  // Strict: exactly the members above with their types, nothing else.
  static Result<Manifest> FromJson(const nlohmann::json& json);
};

struct ReadOptions {
  const schema::Registry* registry = nullptr;  // REQUIRED: each event's schema and data
  BundleLimits limits;
  EVP_PKEY* verify_key = nullptr;  // when set, a present signature must verify under it
  bool require_signature = false;  // REQUIRES: verify_key; an unsigned bundle is refused
  // When set, each event line goes here once it passed its own checks, instead of being
  // kept (the Bundle then has none: size() 0), so one read both checks and consumes them. The
  // bundle as a whole is verified only when the read returns ok (the digest and the counts
  // are checked after the last line): on an error the caller must discard what it was given.
  // An error returned here stops the read with that error.
  std::function<Status(std::string_view line, int64_t recorded_ms)> on_event;
};

namespace detail {
class Reader;
// An event id as 16 bytes (from its checked 36-character text), so ids are compared and
// kept without keeping the lines.
struct IdKey {
  uint64_t high = 0, low = 0;
  auto operator<=>(const IdKey&) const = default;
};
}  // namespace detail

// A verified bundle. It holds its file compressed (at most BundleLimits::max_bytes, a
// twelfth of that for a typical bundle) and 8 bytes per event, and decompresses the events
// again each time they are walked, so a bundle at the size limit costs tens of MiB, not
// hundreds. The bytes are private and never change after the checks, so a walk needs no
// second verification.
class Bundle {
 public:
  using Visit = std::function<Status(std::string_view line, int64_t recorded_ms)>;
  Manifest manifest;
  bool signature_verified = false;

  // The number of events (0 when ReadOptions::on_event took them).
  size_t size() const { return recorded_ms_.size(); }
  // Each event line (without its newline, exactly as in the file) and its recorded_at in
  // milliseconds, in bundle order; an error from `visit` stops the walk and is returned.
  Status ForEachEvent(const Visit& visit) const;
  // The place in bundle order (0 for the first event) of the event with this id; -1 when
  // the bundle has none (or `event_id` is not a UUID in the form the reader accepts).
  int64_t Find(std::string_view event_id) const;
  // Gives back the ids' memory (24 bytes per event) once no more Find() is needed, before the
  // events are walked into a journal; Find() answers -1 afterwards.
  void ForgetIds() { std::vector<std::pair<detail::IdKey, uint32_t>>().swap(ids_); }

 private:
  friend class detail::Reader;
  std::string frames_;  // the file without its trailer; empty when on_event took the events
  std::vector<int64_t> recorded_ms_;
  std::vector<std::pair<detail::IdKey, uint32_t>> ids_;  // sorted, with each one's place
  int window_log_max_ = BundleLimits{}.window_log_max;
};

// Every event line starts {"event_id":"<36 characters>" (the reader checks it).
inline std::string_view EventIdOf(std::string_view line) { return line.substr(13, 36); }

// Checks a bundle and keeps it (a copy of `bytes`). Errors are InvalidEvent (a refused bundle) or
// InvalidArgument (bad options) and name the line, field or check, never an event's value.
Result<Bundle> ParseBundle(std::string_view bytes, const ReadOptions& options);
// Reads `path` (refusing files larger than max_bytes) and checks it, keeping the bytes read
// (no copy, and no second read of a file that could change meanwhile); messages name the file.
Result<Bundle> ReadBundle(const std::string& path, const ReadOptions& options);

// The bytes of a bundle: the manifest line as canonical JSON, then `lines` (each ending "\n"),
// as zstd frames with checksums. Export uses it; tests use it to build hostile bundles.
Result<std::string> EncodeBundle(const Manifest& manifest, std::string_view lines,
                                 int level = kBundleCompressionLevel);

struct ExportOptions {
  std::string out_path;          // must not exist yet
  EVP_PKEY* sign_key = nullptr;  // when set, the manifest is signed
  EventFilter filter;            // its state unset: pending events only
  bool all = false;              // pending, sent and exported events alike (never local)
  int level = kBundleCompressionLevel;
  // A batch that is a whole sealed block of level 1 or more goes into the bundle as the
  // block's stored frame (the journal's merge level), not compressed again at `level`: faster, and
  // no larger (BUNDLE.md, "Writing"). `export --level N` turns it off, so every event is at N.
  bool keep_block_frames = true;
  // The readers' max_bytes: a bundle stops short of it (its manifest included), so the bundle
  // can be read with the same limit; the events left out stay as they were.
  int64_t max_bytes = BundleLimits{}.max_bytes;
  std::function<base::Clock::time_point()> now = [] { return base::Clock::now(); };
};

// Writes the events that `filter` selects, through the payload builder, to a new file (0600,
// temp file + rename), then marks them `exported` in the transaction that appends the ledger
// row (kind "export"). If that transaction fails the file is removed. Refused (PolicyDenied)
// unless consent is `on`; `local` events are never exported. Holds the journal's replay lock
// (Busy while a replay, export or import runs), so no event is both uploaded and exported.
// `complete` (when given) is set false if max_bytes left selected events out.
Result<Manifest> ExportBundle(journal::Journal& journal, const ExportOptions& options,
                              bool* complete = nullptr);

struct ImportOptions {
  std::string source;  // the file, for the ledger row
  std::function<base::Clock::time_point()> now = [] { return base::Clock::now(); };
};
struct ImportReport {
  int64_t added = 0;    // new events, now pending (local under consent `local`)
  int64_t present = 0;  // skipped: an event with the same event_id was already there
};

// Appends the bundle's events not yet in `journal` (by event_id) and the ledger row (kind
// "import") in one transaction: all or nothing. Refused (PolicyDenied) under consent `off`.
// Holds the journal's replay lock (Busy while a replay, export or import runs).
// The bundle is consumed: its bytes are dropped once the events are appended, before the
// journal seals them, so an import at the size limit never holds both (bench/README.md).
Result<ImportReport> ImportBundle(Bundle bundle, journal::Journal& journal,
                                  const ImportOptions& options);

// Appends every event of `bundle`, pending, in bundle order, to a new private journal that
// stands in for the bundle (replay --bundle): no consent gate, no ledger.
// Consumes the bundle like ImportBundle.
Status StageBundle(Bundle bundle, journal::Journal& staging);

}  // namespace glassbox::replay
