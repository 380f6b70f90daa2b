// Reading a bundle: every byte is checked before anything is returned (replay/BUNDLE.md,
// "Reading"). Memory is bounded by BundleLimits: the compressed file, 8 bytes per event for
// its time and 16 for its id while the checks run, one line being assembled and three batches
// of lines (one being read, one checked, one taken; each at most kBatchLines lines, or
// kBatchBytes plus one line). The event lines are never held longer: a Bundle decompresses
// them again when walked.
#include <zstd_errors.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <system_error>
#include <thread>

#include "base/files.h"
#include "base/memory.h"
#include "replay/bundle.h"
#include "replay/bundle_internal.h"

namespace glassbox::replay {
namespace {

constexpr uint32_t kZstdMagic = 0xFD2FB528;
constexpr std::string_view kIdPrefix = R"({"event_id":")";

Status Refuse(const std::string& why) { return Status::InvalidEvent(why); }

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

// Decompresses checked frames and splits the text into lines, holding one line at most.
class LineSplitter {
 public:
  using OnLine = std::function<Status(std::string_view line)>;
  LineSplitter(int window_log_max, int64_t max_bytes, int64_t max_line_bytes)
      : window_log_max_(window_log_max), max_bytes_(max_bytes), max_line_bytes_(max_line_bytes) {}
  Status Run(std::string_view frames, const OnLine& on_line);

 private:
  Status Feed(std::string_view chunk, const OnLine& on_line);
  int window_log_max_;
  int64_t max_bytes_, max_line_bytes_;
  int64_t lines_ = 0;
  std::string partial_;
};

Status LineSplitter::Run(std::string_view frames, const OnLine& on_line) {
  std::unique_ptr<ZSTD_DCtx, detail::DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::IoError("zstd: out of memory");
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, window_log_max_);
  ZSTD_inBuffer in{frames.data(), frames.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  int64_t total = 0;
  size_t ret = 0;
  for (;;) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    ret = ZSTD_decompressStream(dctx.get(), &out, &in);
    if (ZSTD_isError(ret)) {
      if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge) {
        return Refuse("zstd window larger than 2^" + std::to_string(window_log_max_) +
                      " bytes (window_log_max)");
      }
      return Refuse(std::string("corrupt: zstd: ") + ZSTD_getErrorName(ret));
    }
    total += static_cast<int64_t>(out.pos);
    if (total > max_bytes_) {
      return Refuse("decompresses to more than max_bytes (" + std::to_string(max_bytes_) + ")");
    }
    GLASSBOX_RETURN_IF_ERROR(Feed(std::string_view(chunk.data(), out.pos), on_line));
    if (in.pos == in.size && out.pos < out.size) break;
  }
  if (ret != 0) return Refuse("truncated: the last zstd frame is incomplete");
  if (!partial_.empty()) return Refuse("truncated: the last line has no newline");
  return Status::Ok();
}

Status LineSplitter::Feed(std::string_view chunk, const OnLine& on_line) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    std::string_view piece = chunk.substr(0, nl);
    if (static_cast<int64_t>(partial_.size() + piece.size()) > max_line_bytes_) {
      return Refuse("line " + std::to_string(lines_ + 1) + " is longer than max_line_bytes (" +
                    std::to_string(max_line_bytes_) + ")");
    }
    if (nl == std::string_view::npos) {
      partial_.append(piece);
      return Status::Ok();
    }
    ++lines_;
    if (partial_.empty()) {
      GLASSBOX_RETURN_IF_ERROR(on_line(piece));
    } else {
      partial_.append(piece);
      GLASSBOX_RETURN_IF_ERROR(on_line(partial_));
      partial_.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
  return Status::Ok();
}

}  // namespace

namespace detail {

// Parsing a line and checking it against its schema is ~85% of reading a bundle and needs
// nothing from the lines before it, so lines are checked in batches, shared out in chunks
// between a helper thread and the reader's own; everything that depends on order (sizes, ids,
// the digest, on_event) then takes the batch in file order. Batches overlap: while the helper
// checks one, the reader takes the one before and reads the one after, then joins in with
// the checks that are left. The first refusal in file order is the one returned, as when
// lines were checked one at a time.
constexpr size_t kBatchLines = 1024;
constexpr size_t kBatchBytes = 1 << 20;
constexpr size_t kChunkLines = 32;
constexpr size_t kParallelLines = 64;  // below this a thread costs more than it saves

// What the order-free checks found about one event line.
struct LineCheck {
  Status status;
  EventFacts facts;
};

// Event lines read but not yet taken: copies (the splitter reuses its buffer), as (offset,
// length) in `text`, the first being line `first_line`; `checks` once they are checked.
struct LineBatch {
  std::string text;
  std::vector<std::pair<size_t, size_t>> lines;
  int64_t first_line = 0;
  std::vector<LineCheck> checks;

  std::string_view Line(size_t i) const {
    return std::string_view(text).substr(lines[i].first, lines[i].second);
  }
  void Clear() {
    text.clear();
    lines.clear();
    checks.clear();
  }
};

class Reader {
 public:
  explicit Reader(const ReadOptions& o) : o_(o), limits_(o.limits) {}
  Result<Bundle> Run(std::string bytes);

 private:
  Status OnLine(std::string_view line);
  Status OnManifest(std::string_view line);
  Status CheckSignature();
  Status Advance();
  Status Drain();
  void StartChecks();
  void CheckChunks();
  void FinishChecks();
  Status TakeBatch(const LineBatch& batch);
  LineCheck CheckLine(std::string_view line, int64_t line_no, LastSchema* last) const;
  Status TakeEvent(std::string_view line, int64_t line_no, const LineCheck& check);
  Status Finish();
  std::string At() const { return "line " + std::to_string(line_no_); }

  const ReadOptions& o_;
  const BundleLimits& limits_;
  Bundle b_;
  int64_t line_no_ = 0;
  detail::Sha256Stream sha_;
  int64_t event_bytes_ = 0;  // the event lines so far, with their newlines
  // Each event's id and place, sorted at the end to find duplicates (24 bytes per event where
  // a hash set took about 56; a bundle at the size limit has 350,000 events), then kept.
  std::vector<std::pair<IdKey, uint32_t>> ids_;
  std::set<std::string> schemas_;
  std::string first_at_, last_at_;
  // Lines being read, being checked, and checked and being taken; the buffers go round.
  LineBatch filling_, checking_, taking_;
  std::atomic<size_t> next_chunk_{0};  // the first line of checking_ nobody has started on
  std::thread helper_;
  bool refused_ = false;  // a batch was refused: nothing later is judged

 public:
  ~Reader() {
    next_chunk_.store(SIZE_MAX / 2);  // no more chunks for the helper; one in hand ends first
    if (helper_.joinable()) helper_.join();
  }
};

Result<Bundle> Reader::Run(std::string bytes) {
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
  LineSplitter lines(limits_.window_log_max, limits_.max_bytes, limits_.max_line_bytes);
  Status read = lines.Run(frames.value(), [this](std::string_view line) { return OnLine(line); });
  // Lines read before a bad frame or an overlong line are judged first, as they came first.
  GLASSBOX_RETURN_IF_ERROR(Drain());
  GLASSBOX_RETURN_IF_ERROR(read);
  GLASSBOX_RETURN_IF_ERROR(Finish());
  if (!o_.on_event) {  // the frames are a prefix of the file: drop the trailer, keep the rest
    bytes.resize(frames.value().size());
    b_.frames_ = std::move(bytes);
    b_.window_log_max_ = limits_.window_log_max;
    b_.ids_ = std::move(ids_);
  }
  return std::move(b_);
}

Status Reader::OnLine(std::string_view line) {
  ++line_no_;
  if (line_no_ == 1) return line.empty() ? Refuse(At() + ": empty line") : OnManifest(line);
  if (filling_.lines.empty()) filling_.first_line = line_no_;
  filling_.lines.emplace_back(filling_.text.size(), line.size());
  base::AppendGrowing(filling_.text, line);
  if (filling_.lines.size() < kBatchLines && filling_.text.size() < kBatchBytes) {
    return Status::Ok();
  }
  return Advance();
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
  if (!o_.on_event) b_.recorded_ms_.reserve(static_cast<size_t>(mf.event_count));
  ids_.reserve(static_cast<size_t>(mf.event_count));  // address space: pages come as used
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

// A batch has been read: the one being checked is finished and taken while the helper starts
// on the new one.
Status Reader::Advance() {
  if (refused_) return Status::Ok();
  FinishChecks();
  std::swap(taking_, checking_);
  std::swap(checking_, filling_);
  filling_.Clear();
  StartChecks();
  Status taken = TakeBatch(taking_);
  refused_ = !taken.ok();
  return taken;
}

// After the last line (or a read error): every batch still held is checked and taken.
Status Reader::Drain() {
  GLASSBOX_RETURN_IF_ERROR(Advance());
  if (refused_) return Status::Ok();  // Run returns the refusal that stopped the reading
  FinishChecks();
  Status taken = TakeBatch(checking_);
  checking_.Clear();
  return taken;
}

void Reader::StartChecks() {
  const size_t n = checking_.lines.size();
  checking_.checks.resize(n);
  next_chunk_.store(0);
  static const bool kOneCore = std::thread::hardware_concurrency() <= 1;  // reads /sys: once
  if (n < kParallelLines || kOneCore) return;  // FinishChecks checks them here
  try {
    helper_ = std::thread([this] { CheckChunks(); });
  } catch (const std::system_error&) {
    // no thread to be had: FinishChecks checks them all here
  }
}

// Takes chunks of checking_ until none is left; on the helper and, later, on this thread.
void Reader::CheckChunks() {
  const size_t n = checking_.lines.size();
  LastSchema last;  // this thread's, for this batch
  for (size_t begin; (begin = next_chunk_.fetch_add(kChunkLines)) < n;) {
    for (size_t i = begin; i < std::min(n, begin + kChunkLines); ++i) {
      checking_.checks[i] =
          CheckLine(checking_.Line(i), checking_.first_line + static_cast<int64_t>(i), &last);
    }
  }
}

void Reader::FinishChecks() {
  CheckChunks();
  if (helper_.joinable()) helper_.join();  // its last chunk written before join returns
}

Status Reader::TakeBatch(const LineBatch& batch) {
  for (size_t i = 0; i < batch.lines.size(); ++i) {
    GLASSBOX_RETURN_IF_ERROR(
        TakeEvent(batch.Line(i), batch.first_line + static_cast<int64_t>(i), batch.checks[i]));
  }
  return Status::Ok();
}

// The checks that need no other line: parsing, the event's shape and its schema. A line that
// TakeEvent refuses before parsing (empty, or not starting with an event id) is not parsed.
LineCheck Reader::CheckLine(std::string_view line, int64_t line_no, LastSchema* last) const {
  LineCheck out;
  if (!line.starts_with(kIdPrefix)) return out;
  std::string at = "line " + std::to_string(line_no);
  // One allocation pool per line, on a buffer kept for the next: most lines allocate nothing.
  alignas(16) static thread_local char pool[64 << 10];
  rapidjson::MemoryPoolAllocator<> allocator(pool, sizeof pool);
  rapidjson::Document e(&allocator);
  out.status = detail::ParseLine(line, limits_.max_depth, at, &e);
  if (out.status.ok()) out.status = detail::CheckEvent(e, *o_.registry, at, &out.facts, last);
  return out;
}

// The checks that depend on the lines before, in file order, then the line is taken.
Status Reader::TakeEvent(std::string_view line, int64_t line_no, const LineCheck& check) {
  std::string at = "line " + std::to_string(line_no);
  if (line.empty()) return Refuse(at + ": empty line");
  event_bytes_ += static_cast<int64_t>(line.size()) + 1;
  if (event_bytes_ > b_.manifest.events_bytes) {
    return Refuse(at + ": the events are longer than the manifest's events_bytes");
  }
  if (static_cast<int64_t>(ids_.size()) >= b_.manifest.event_count) {
    return Refuse(at + ": more events than the manifest's event_count");
  }
  if (!line.starts_with(kIdPrefix) || line.size() < kIdPrefix.size() + 37 ||
      line[kIdPrefix.size() + 36] != '"' || !base::IsUuid(line.substr(kIdPrefix.size(), 36))) {
    return Refuse(at + ": does not start with {\"event_id\":\"<UUID>\"");
  }
  GLASSBOX_RETURN_IF_ERROR(check.status);
  const EventFacts& facts = check.facts;
  ids_.emplace_back(KeyOf(line.substr(kIdPrefix.size(), 36)), static_cast<uint32_t>(ids_.size()));
  schemas_.insert(facts.schema);
  if (first_at_.empty() || facts.recorded_at < first_at_) first_at_ = facts.recorded_at;
  if (facts.recorded_at > last_at_) last_at_ = facts.recorded_at;
  sha_.Update(line);
  sha_.Update("\n");
  if (o_.on_event) return o_.on_event(line, facts.recorded_ms);
  b_.recorded_ms_.push_back(facts.recorded_ms);
  return Status::Ok();
}

// Sorts `ids` and returns the line of the first event, in file order, whose id an earlier
// event had already; 0 for none.
int64_t FirstDuplicate(std::vector<std::pair<IdKey, uint32_t>>& ids) {
  std::sort(ids.begin(), ids.end());
  int64_t first = 0;
  for (size_t i = 1; i < ids.size(); ++i) {
    int64_t line = int64_t{ids[i].second} + 2;  // line 1 is the manifest
    if (ids[i].first == ids[i - 1].first && (first == 0 || line < first)) first = line;
  }
  return first;
}

Status Reader::Finish() {
  const Manifest& m = b_.manifest;
  if (line_no_ == 0) return Refuse("empty: no manifest line");
  if (int64_t dup = FirstDuplicate(ids_); dup != 0) {
    return Refuse("line " + std::to_string(dup) +
                  ": duplicate event_id (already on an earlier line)");
  }
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

}  // namespace detail

Status Bundle::ForEachEvent(const Visit& visit) const {
  if (frames_.empty()) return Status::Ok();  // ReadOptions::on_event had the events
  // The limits held when these bytes were checked; only the window is needed again.
  LineSplitter lines(window_log_max_, INT64_MAX, INT64_MAX);
  size_t next = 0;
  bool manifest = true;
  GLASSBOX_RETURN_IF_ERROR(lines.Run(frames_, [&](std::string_view line) {
    if (std::exchange(manifest, false)) return Status::Ok();
    if (next == recorded_ms_.size()) return Status::Corruption("bundle: more lines than checked");
    return visit(line, recorded_ms_[next++]);
  }));
  if (next != recorded_ms_.size()) return Status::Corruption("bundle: fewer lines than checked");
  return Status::Ok();
}

int64_t Bundle::Find(std::string_view event_id) const {
  if (!base::IsUuid(event_id)) return -1;
  std::pair<detail::IdKey, uint32_t> key{detail::KeyOf(event_id), 0};
  auto it = std::lower_bound(ids_.begin(), ids_.end(), key);
  if (it == ids_.end() || it->first != key.first) return -1;
  return it->second;
}

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
  detail::Reader reader(options);
  return reader.Run(std::string(bytes));
}

Result<Bundle> ReadBundle(const std::string& path, const ReadOptions& options) {
  GLASSBOX_RETURN_IF_ERROR(options.limits.Check());
  auto bytes = base::ReadFile(path, static_cast<size_t>(options.limits.max_bytes));
  if (!bytes.ok()) {
    if (bytes.status().code() != StatusCode::kInvalidArgument) return bytes.status();
    return Refuse("bundle " + path + ": file is larger than max_bytes (" +
                  std::to_string(options.limits.max_bytes) + ")");
  }
  detail::Reader reader(options);
  auto bundle = reader.Run(std::move(bytes.value()));
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
