// Reading a bundle: every byte is checked before anything is returned (replay/BUNDLE.md,
// "Reading"). Memory is bounded by BundleLimits: the compressed file, the event lines it
// declares (at most max_bytes; none when ReadOptions::on_event takes them), 16 bytes per event
// id and one line being assembled.
#include <zstd_errors.h>

#include <set>
#include <unordered_set>

#include "base/files.h"
#include "replay/bundle.h"
#include "replay/bundle_internal.h"

namespace glassbox::replay {
namespace {

constexpr uint32_t kZstdMagic = 0xFD2FB528;
constexpr std::string_view kIdPrefix = R"({"event_id":")";

Status Refuse(const std::string& why) { return Status::InvalidEvent(why); }

// An event id as 16 bytes (from its checked 36-character text), so duplicates are found
// without keeping the lines.
struct IdKey {
  uint64_t high = 0, low = 0;
  bool operator==(const IdKey&) const = default;
};
struct IdKeyHash {
  size_t operator()(const IdKey& k) const { return std::hash<uint64_t>()(k.high ^ k.low); }
};

IdKey KeyOf(std::string_view uuid) {
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

// Only regular zstd frames, each with a content checksum, so a flipped byte anywhere (even in
// an unsigned manifest) fails a check. Also refuses a frame that declares more content than
// max_bytes before any of it is decompressed.
Status CheckFrames(std::string_view bytes, int64_t max_bytes) {
  if (bytes.empty()) return Refuse("empty file");
  size_t pos = 0;
  for (int frame = 1; pos < bytes.size(); ++frame) {
    std::string_view rest = bytes.substr(pos);
    std::string where = "zstd frame " + std::to_string(frame);
    if (rest.size() < 5) return Refuse(where + ": truncated");
    uint32_t magic = static_cast<uint8_t>(rest[0]) | static_cast<uint8_t>(rest[1]) << 8 |
                     static_cast<uint8_t>(rest[2]) << 16 |
                     static_cast<uint32_t>(static_cast<uint8_t>(rest[3])) << 24;
    if (magic != kZstdMagic) return Refuse(where + ": not a zstd frame");
    if ((static_cast<uint8_t>(rest[4]) & 0x04) == 0) return Refuse(where + ": has no checksum");
    unsigned long long content = ZSTD_getFrameContentSize(rest.data(), rest.size());
    if (content == ZSTD_CONTENTSIZE_ERROR) return Refuse(where + ": corrupt header");
    if (content != ZSTD_CONTENTSIZE_UNKNOWN && content > static_cast<uint64_t>(max_bytes)) {
      return Refuse(where + ": declares more than max_bytes (" + std::to_string(max_bytes) +
                    ") of content");
    }
    size_t n = ZSTD_findFrameCompressedSize(rest.data(), rest.size());
    if (ZSTD_isError(n)) return Refuse(where + ": truncated or corrupt");
    pos += n;
  }
  return Status::Ok();
}

class Reader {
 public:
  explicit Reader(const ReadOptions& o) : o_(o), limits_(o.limits) {}
  Result<Bundle> Run(std::string_view bytes);

 private:
  Status Decompress(std::string_view bytes);
  Status Feed(std::string_view chunk);
  Status OnLine(std::string_view line);
  Status OnManifest(std::string_view line);
  Status CheckSignature();
  Status OnEvent(std::string_view line);
  Status Finish();
  std::string At() const { return "line " + std::to_string(line_no_); }

  const ReadOptions& o_;
  const BundleLimits& limits_;
  Bundle b_;
  int64_t line_no_ = 0;
  std::string partial_;
  detail::Sha256Stream sha_;
  int64_t event_bytes_ = 0;  // the event lines so far, with their newlines
  std::unordered_set<IdKey, IdKeyHash> ids_;
  std::set<std::string> schemas_;
  std::string first_at_, last_at_;
};

Result<Bundle> Reader::Run(std::string_view bytes) {
  GLASSBOX_RETURN_IF_ERROR(limits_.Check());
  if (o_.registry == nullptr) return Status::InvalidArgument("bundle: no schema registry");
  if (o_.require_signature && o_.verify_key == nullptr) {
    return Status::InvalidArgument("requiring a signature needs a key to verify it with");
  }
  if (static_cast<int64_t>(bytes.size()) > limits_.max_bytes) {
    return Refuse("file is larger than max_bytes (" + std::to_string(limits_.max_bytes) + ")");
  }
  if (bytes.empty()) return Refuse("empty file");
  auto frames = detail::CheckTrailer(bytes);
  if (!frames.ok()) return frames.status();
  GLASSBOX_RETURN_IF_ERROR(CheckFrames(frames.value(), limits_.max_bytes));
  GLASSBOX_RETURN_IF_ERROR(Decompress(frames.value()));
  GLASSBOX_RETURN_IF_ERROR(Finish());
  return std::move(b_);
}

Status Reader::Decompress(std::string_view bytes) {
  std::unique_ptr<ZSTD_DCtx, detail::DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::IoError("zstd: out of memory");
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, limits_.window_log_max);
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  int64_t total = 0;
  size_t ret = 0;
  for (;;) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    ret = ZSTD_decompressStream(dctx.get(), &out, &in);
    if (ZSTD_isError(ret)) {
      if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
        return Refuse("zstd window larger than 2^" + std::to_string(limits_.window_log_max) +
                      " bytes (window_log_max)");
      }
      return Refuse(std::string("corrupt: zstd: ") + ZSTD_getErrorName(ret));
    }
    total += static_cast<int64_t>(out.pos);
    if (total > limits_.max_bytes) {
      return Refuse("decompresses to more than max_bytes (" + std::to_string(limits_.max_bytes) +
                    ")");
    }
    GLASSBOX_RETURN_IF_ERROR(Feed(std::string_view(chunk.data(), out.pos)));
    if (in.pos == in.size && out.pos < out.size) break;
  }
  if (ret != 0) return Refuse("truncated: the last zstd frame is incomplete");
  if (!partial_.empty()) return Refuse("truncated: the last line has no newline");
  return Status::Ok();
}

// Splits decompressed bytes into lines, never holding more than one line.
Status Reader::Feed(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    std::string_view piece = chunk.substr(0, nl);
    if (static_cast<int64_t>(partial_.size() + piece.size()) > limits_.max_line_bytes) {
      return Refuse("line " + std::to_string(line_no_ + 1) + " is longer than max_line_bytes (" +
                    std::to_string(limits_.max_line_bytes) + ")");
    }
    if (nl == std::string_view::npos) {
      partial_.append(piece);
      return Status::Ok();
    }
    if (partial_.empty()) {
      GLASSBOX_RETURN_IF_ERROR(OnLine(piece));
    } else {
      partial_.append(piece);
      GLASSBOX_RETURN_IF_ERROR(OnLine(partial_));
      partial_.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
  return Status::Ok();
}

Status Reader::OnLine(std::string_view line) {
  ++line_no_;
  if (line.empty()) return Refuse(At() + ": empty line");
  return line_no_ == 1 ? OnManifest(line) : OnEvent(line);
}

Status Reader::OnManifest(std::string_view line) {
  nlohmann::json j;
  GLASSBOX_RETURN_IF_ERROR(detail::ParseLine(line, limits_.max_depth, "manifest (line 1)", &j));
  auto m = Manifest::FromJson(j);
  if (!m.ok()) return m.status();
  b_.manifest = std::move(m.value());
  const Manifest& mf = b_.manifest;
  if (mf.events_bytes > limits_.max_bytes) {
    return Refuse("manifest: events_bytes exceeds max_bytes (" + std::to_string(limits_.max_bytes) +
                  ")");
  }
  if (mf.event_count > mf.events_bytes / static_cast<int64_t>(kIdPrefix.size() + 38)) {
    return Refuse("manifest: event_count does not fit in events_bytes");
  }
  GLASSBOX_RETURN_IF_ERROR(CheckSignature());
  if (!o_.on_event) {  // reserved once: the body may not outgrow what the manifest declared
    b_.lines.reserve(static_cast<size_t>(mf.events_bytes));
    b_.events.reserve(static_cast<size_t>(mf.event_count));
  }
  ids_.reserve(static_cast<size_t>(mf.event_count));
  return Status::Ok();
}

Status Reader::CheckSignature() {
  const Manifest& m = b_.manifest;
  if (m.signature.empty()) {
    return o_.require_signature ? Refuse("not signed, and a signature is required") : Status::Ok();
  }
  if (o_.verify_key == nullptr) return Status::Ok();  // signed, but nobody asked to check
  std::string want = KeyId(o_.verify_key);
  if (m.signed_by != want) {
    return Refuse("signed by key " + m.signed_by.substr(0, 16) +
                  "..., not by the verification "
                  "key " +
                  want.substr(0, 16) + "...");
  }
  if (!Verify(o_.verify_key, m.SignedMessage(), m.signature)) {
    return Refuse("the signature does not verify: the manifest was altered or signed elsewhere");
  }
  b_.signature_verified = true;
  return Status::Ok();
}

Status Reader::OnEvent(std::string_view line) {
  event_bytes_ += static_cast<int64_t>(line.size()) + 1;
  if (event_bytes_ > b_.manifest.events_bytes) {
    return Refuse(At() + ": the events are longer than the manifest's events_bytes");
  }
  if (static_cast<int64_t>(ids_.size()) >= b_.manifest.event_count) {
    return Refuse(At() + ": more events than the manifest's event_count");
  }
  if (!line.starts_with(kIdPrefix) || line.size() < kIdPrefix.size() + 37 ||
      line[kIdPrefix.size() + 36] != '"' || !base::IsUuid(line.substr(kIdPrefix.size(), 36))) {
    return Refuse(At() + ": does not start with {\"event_id\":\"<UUID>\"");
  }
  // One allocation pool per line, on a buffer kept for the next: most lines allocate nothing.
  alignas(16) static thread_local char pool[64 << 10];
  rapidjson::MemoryPoolAllocator<> allocator(pool, sizeof pool);
  rapidjson::Document e(&allocator);
  GLASSBOX_RETURN_IF_ERROR(detail::ParseLine(line, limits_.max_depth, At(), &e));
  detail::EventFacts facts;
  GLASSBOX_RETURN_IF_ERROR(detail::CheckEvent(e, *o_.registry, At(), &facts));
  if (!ids_.insert(KeyOf(line.substr(kIdPrefix.size(), 36))).second) {
    return Refuse(At() + ": duplicate event_id (already on an earlier line)");
  }
  schemas_.insert(facts.schema);
  if (first_at_.empty() || facts.recorded_at < first_at_) first_at_ = facts.recorded_at;
  if (facts.recorded_at > last_at_) last_at_ = facts.recorded_at;
  sha_.Update(line);
  sha_.Update("\n");
  if (o_.on_event) return o_.on_event(line, facts.recorded_ms);
  b_.events.push_back({b_.lines.size(), line.size(), facts.recorded_ms});
  b_.lines.append(line).push_back('\n');
  return Status::Ok();
}

Status Reader::Finish() {
  const Manifest& m = b_.manifest;
  if (line_no_ == 0) return Refuse("empty: no manifest line");
  auto disagree = [](const std::string& what) {
    return Refuse("the manifest disagrees with the events: " + what);
  };
  if (static_cast<int64_t>(ids_.size()) != m.event_count) {
    return disagree("event_count " + std::to_string(m.event_count) + ", events " +
                    std::to_string(ids_.size()));
  }
  if (event_bytes_ != m.events_bytes) return disagree("events_bytes");
  if (sha_.HexFinal() != m.events_sha256) return disagree("events_sha256");
  if (first_at_ != m.first_recorded_at || last_at_ != m.last_recorded_at) {
    return disagree("first_recorded_at/last_recorded_at");
  }
  if (std::vector<std::string>(schemas_.begin(), schemas_.end()) != m.schemas) {
    return disagree("schemas");
  }
  return Status::Ok();
}

}  // namespace

Status BundleLimits::Check() const {
  if (max_bytes < 1024) return Status::InvalidArgument("bundle max_bytes must be at least 1024");
  if (max_line_bytes < 1024 || max_line_bytes > max_bytes) {
    return Status::InvalidArgument("bundle max_line_bytes must be 1024..max_bytes");
  }
  if (window_log_max < 10 || window_log_max > 31) {
    return Status::InvalidArgument("bundle window_log_max must be 10..31");
  }
  if (max_depth < 4 || max_depth > 1000) {
    return Status::InvalidArgument("bundle max_depth must be 4..1000");
  }
  return Status::Ok();
}

Result<Bundle> ParseBundle(std::string_view bytes, const ReadOptions& options) {
  Reader reader(options);
  return reader.Run(bytes);
}

Result<Bundle> ReadBundle(const std::string& path, const ReadOptions& options) {
  GLASSBOX_RETURN_IF_ERROR(options.limits.Check());
  auto bytes = base::ReadFile(path, static_cast<size_t>(options.limits.max_bytes));
  if (!bytes.ok()) {
    if (bytes.status().code() != StatusCode::kInvalidArgument) return bytes.status();
    return Refuse("bundle " + path + ": file is larger than max_bytes (" +
                  std::to_string(options.limits.max_bytes) + ")");
  }
  auto bundle = ParseBundle(bytes.value(), options);
  if (!bundle.ok()) {
    const Status& st = bundle.status();
    if (st.code() == StatusCode::kInvalidEvent) {
      return Refuse("bundle " + path + " refused: " + st.message());
    }
    return st;
  }
  return bundle;
}

}  // namespace glassbox::replay
