#pragma once
// The one payload builder. inspect, replay and export all call it, so what inspect shows is
// byte for byte what replay sends and export writes. The wire format is specified in
// replay/WIRE.md.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glassbox/status.h"
#include "journal/journal.h"

namespace glassbox::replay {

// Which events a view, an upload or an export takes. Empty members match everything.
struct EventFilter {
  std::vector<std::string> schemas;  // iglu: URIs or bare names (match the name part)
  std::vector<std::string> phases;   // single | started | completed
  std::optional<journal::EventState> state;
  std::string since, until;  // RFC 3339 bounds on recorded_at: since <= t < until
  // With `state` unset, BuildBatches takes pending, sent and exported events alike instead of
  // only pending ones (export --all). Local events never match it.
  bool all_states = false;
  // Parses "schema=cli_event,phase=started,state=pending,since=2026-11-01,until=..." (the
  // shared --filter syntax); keys may repeat to widen a set.
  static Result<EventFilter> Parse(const std::string& text);
  // True when `line` (one stored event) matches; `state` is the event's journal state.
  bool Matches(std::string_view line, journal::EventState state) const;
};

struct BatchLimits {
  int64_t max_events = 4096;    // defaults as upload.max_batch_events / max_batch_bytes
  int64_t max_bytes = 4 << 20;  // uncompressed body bytes; a single larger event goes alone
  bool keyed = true;  // compute each batch's sha256; export hashes its whole stream instead
  // A batch ends where a sealed block of level 1 or more begins, when that block fits these
  // limits whole, so the block travels as one batch in its own stored frame (replay/WIRE.md).
  bool whole_blocks = true;
};

// One upload's worth of events: the body is NDJSON, one event a line (each line ends "\n"),
// in journal order. Deterministic: the same rows always give the same bytes.
struct Batch {
  std::vector<int64_t> seqs;
  std::string body;
  std::string sha256;  // lowercase hex of body: the idempotency key (empty unless keyed)
  // When the batch is exactly one sealed block: that block's stored zstd frame, whose content
  // is `body` byte for byte; Compress() sends it instead of compressing `body` again.
  std::string frame;
  int64_t events() const { return static_cast<int64_t>(seqs.size()); }
};

// Streams events that match `filter` (default: pending) into batches, in journal order.
// `visit` returns false to stop.
Status BuildBatches(const journal::Journal& journal, const EventFilter& filter,
                    const BatchLimits& limits, const std::function<bool(Batch&&)>& visit);

// Journal sequence bounds: events with after_seq < seq <= through_seq.
struct SeqRange {
  int64_t after_seq = 0;
  int64_t through_seq = INT64_MAX;
};
// The first batch BuildBatches would give over `range`; a batch without events when none is
// left. Replay takes one batch at a time this way, so no read snapshot is held open across a
// network call, and a batch cut off by a crash can be rebuilt byte for byte from its range.
Result<Batch> FirstBatch(const journal::Journal& journal, const EventFilter& filter,
                         const BatchLimits& limits, const SeqRange& range);
// The same, built in `*out`'s buffers (their capacity kept; `*out` is replaced, and left
// without events when none is left): replay builds one batch after another, and a fresh
// ~3 MB body for each was faulted in page by page.
Status FirstBatchInto(const journal::Journal& journal, const EventFilter& filter,
                      const BatchLimits& limits, const SeqRange& range, Batch* out);
// Halves a batch of two or more events (by count, first half first), for a collector that
// answered 413. Each half is a batch in its own right, with its own idempotency key.
std::pair<Batch, Batch> SplitBatch(const Batch& batch);

// Content-Encoding of a body.
enum class Compression { kNone, kGzip, kZstd };
std::optional<Compression> ParseCompression(std::string_view name);
const char* CompressionName(Compression c);  // "identity", "gzip", "zstd"
Result<std::string> Compress(const std::string& body, Compression c);
// A batch's wire bytes: its stored frame for zstd when it has one, else Compress(body).
Result<std::string> Compress(const Batch& batch, Compression c);

}  // namespace glassbox::replay
