#pragma once
// Internals shared by the bundle reader, writer and importer (and their tests).
#include "schema/schema.h"  // first: it sets RAPIDJSON_ASSERT for RapidJSON's headers

#include <zstd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "glassbox/status.h"
#include "replay/bundle.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace glassbox::replay::detail {

// SHA-256 over bytes given in pieces.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view bytes);
  std::string Final();     // the 32 raw bytes; the stream is spent afterwards
  std::string HexFinal();  // the same in lowercase hex

 private:
  EVP_MD_CTX* ctx_;
};

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// One zstd frame written in pieces: checksum on, window kBundleWindowLog. The compressed
// bytes collect in a string, or go to `sink` as they come (then Finish returns "").
class FrameWriter {
 public:
  using Sink = std::function<Status(std::string_view compressed)>;
  explicit FrameWriter(int level, Sink sink = nullptr);
  Status Add(std::string_view bytes);
  // Ends the frame and returns the compressed bytes (those not given to the sink).
  Result<std::string> Finish();

 private:
  Status Drive(std::string_view bytes, ZSTD_EndDirective mode);
  std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx_;
  Sink sink_;
  std::string out_;
  std::string chunk_;  // zstd's output, before it goes to the sink or out_
};

// The trailer: a zstd skippable frame (which `zstd -d` passes over) holding the SHA-256 of
// every byte before it, so damage anywhere in the file is detected, even where it would not
// change the decompressed text (a frame's window descriptor, say). Layout: magic 0x184D2A50
// and size 36 (both little-endian), "GBX1", 32 raw digest bytes.
inline constexpr size_t kTrailerBytes = 44;
// Appends the trailer over `file`.
void AppendTrailer(std::string* file);
// The trailer for a file whose bytes before it have the SHA-256 `digest` (32 raw bytes).
std::string Trailer(std::string_view digest);
// Checks the trailer at the end of `file`; returns the bytes it covers.
Result<std::string_view> CheckTrailer(std::string_view file);

// Parses one line into `out`, refusing invalid JSON or UTF-8, nesting beyond `max_depth`,
// duplicate object keys (a collector might read the other copy) and non-finite numbers.
// `what` prefixes messages ("line 7"); messages never quote the input. Event lines go into
// RapidJSON: a reader parses every event of a bundle, and RapidJSON builds a document about
// four times faster than nlohmann-json (bench/json_bench); the manifest, one line, is checked
// the same way and then built as the nlohmann value Manifest::FromJson reads.
Status ParseLine(std::string_view line, int max_depth, std::string_view what,
                 rapidjson::Document* out);
// The same with UTF-8 checked by RapidJSON alone, as ParseLine did before simdjson checked it
// first: the reference fuzz_bundle compares ParseLine with (same verdict, message and value).
Status ParseLineCheckingUtf8InRapidJson(std::string_view line, int max_depth, std::string_view what,
                                        rapidjson::Document* out);
Status ParseLine(std::string_view line, int max_depth, std::string_view what, nlohmann::json* out);

// REQUIRES: `uuid` is a checked UUID (base::IsUuid).
inline IdKey KeyOf(std::string_view uuid) {
  IdKey key;
  int digits = 0;
  for (char c : uuid) {
    if (c == '-') continue;
    uint64_t nibble = static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    uint64_t& half = digits++ < 16 ? key.high : key.low;
    half = half << 4 | nibble;
  }
  return key;
}

// What the reader keeps of an event line once it passed CheckEvent.
struct EventFacts {
  std::string schema;       // the iglu: URI, known to the registry
  std::string recorded_at;  // as written (RFC 3339)
  int64_t recorded_ms = 0;
};

// The schema the line before named, so that the next line naming it too (nearly every line
// of a bundle) skips parsing the URI and looking it up. One per thread of checks.
struct LastSchema {
  std::string uri;
  const schema::Schema* schema = nullptr;
};

// Checks a parsed event line against the event shape (replay/BUNDLE.md, "Event lines"): the
// members and their types, a known schema named by its full URI, `data` valid under it.
// `at` prefixes messages ("line 7"); messages name members and schemas, never values.
// `last` (optional) must have been filled by this registry's lookups only.
Status CheckEvent(const rapidjson::Value& event, const schema::Registry& registry,
                  const std::string& at, EventFacts* out, LastSchema* last = nullptr);

}  // namespace glassbox::replay::detail
