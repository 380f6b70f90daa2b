#include "replay/payload.h"

#include <zlib.h>
#include <zstd.h>

#include <memory>
#include <mutex>

#include "base/digest.h"
#include "base/memory.h"

namespace glassbox::replay {
namespace {

void Key(Batch& b, const BatchLimits& limits) {
  if (limits.keyed) b.sha256 = base::Sha256Hex(b.body);
}

// Hands the batch to `visit`, then empties it for the next one. Buffers the visitor did not
// take keep their capacity: a fresh ~3 MB body for every 4,096-event batch made glibc give the
// last one back to the kernel and fault the next one in, page by page.
bool Hand(Batch& batch, const BatchLimits& limits, const std::function<bool(Batch&&)>& visit) {
  Key(batch, limits);
  bool more = visit(std::move(batch));
  batch.seqs.clear();  // valid even after a move: a moved-from vector or string is only cleared
  batch.body.clear();
  batch.frame.clear();
  batch.sha256.clear();
  return more;
}

// Level-0 blocks are left out: 128 events at level 3 compress worse than a batch of the
// default limits does, and cutting batches at every one of them would only add requests.
bool Travels(const journal::SealedBlock* block, const BatchLimits& limits) {
  return limits.whole_blocks && block && block->level >= 1 && block->count <= limits.max_events &&
         block->text_bytes <= limits.max_bytes;
}

// Every line of the block, in order, and nothing else: then `body` is the block's text.
bool IsWholeBlock(const Batch& batch, const journal::SealedBlock& block) {
  return batch.events() == block.count && batch.seqs.front() == block.first_seq &&
         batch.seqs.back() == block.last_seq &&
         static_cast<int64_t>(batch.body.size()) == block.text_bytes;
}

// The process's zstd context, lent to one compression at a time; another one meanwhile gets
// a context of its own. Each payload is compressed on a new thread (the uploader's look-ahead),
// and a fresh context per payload allocated and cleared its ~1 MB of tables every time.
class KeptContext {
 public:
  KeptContext() : lock_(Mutex(), std::try_to_lock) {
    if (lock_.owns_lock()) {
      static ZSTD_CCtx* kept = ZSTD_createCCtx();  // for the life of the process
      ctx_ = kept;
    } else {
      own_.reset(ZSTD_createCCtx());
      ctx_ = own_.get();
    }
  }
  ZSTD_CCtx* get() const { return ctx_; }

 private:
  struct Free {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  static std::mutex& Mutex() {
    static std::mutex mu;
    return mu;
  }
  std::unique_lock<std::mutex> lock_;
  std::unique_ptr<ZSTD_CCtx, Free> own_;
  ZSTD_CCtx* ctx_ = nullptr;
};

Result<std::string> Gzip(const std::string& body) {
  z_stream zs{};
  // 15 + 16: a gzip header; level 6 is zlib's default; mtime stays 0 so output is deterministic.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::IoError("gzip: init failed");
  }
  std::string out(deflateBound(&zs, body.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::IoError("gzip: deflate failed");
  return out;
}

// `work` (optional) is the batch to build in: its buffers' capacity is kept.
Status BuildRange(const journal::Journal& journal, const EventFilter& filter,
                  const BatchLimits& limits, const SeqRange& range,
                  const std::function<bool(Batch&&)>& visit, Batch* work = nullptr) {
  EventFilter f = filter;
  if (!f.state && !f.all_states) f.state = journal::EventState::kPending;
  journal::ScanOptions scan;
  scan.state = f.state;
  scan.after_seq = range.after_seq;
  Batch own;
  Batch& batch = work ? *work : own;
  batch.seqs.clear();
  batch.body.clear();
  batch.frame.clear();
  batch.sha256.clear();
  bool stopped = false;
  GLASSBOX_RETURN_IF_ERROR(journal.Scan(scan, [&](const journal::StoredEvent& e) {
    if (e.seq > range.through_seq) return false;
    if (!f.Matches(e.line, e.state)) return true;
    bool travels = Travels(e.block, limits);
    bool full = batch.events() >= limits.max_events ||
                static_cast<int64_t>(batch.body.size() + e.line.size() + 1) > limits.max_bytes ||
                (travels && e.seq == e.block->first_seq);
    if (!batch.seqs.empty() && full && !Hand(batch, limits, visit)) {
      stopped = true;
      return false;
    }
    if (travels && e.seq == e.block->first_seq) {
      // Its size is known: no doubling reallocations of a ~3 MB body. With room to spare, so
      // that a reused body (FirstBatchInto) also fits the next, slightly larger, block.
      auto text_bytes = static_cast<size_t>(e.block->text_bytes);
      if (batch.body.capacity() < text_bytes) batch.body.reserve(text_bytes + text_bytes / 8);
      base::PrepareToFill(batch.body.data(), text_bytes);
      batch.seqs.reserve(static_cast<size_t>(e.block->count));
    }
    batch.seqs.push_back(e.seq);
    batch.body.append(e.line).push_back('\n');
    if (travels && e.seq == e.block->last_seq && IsWholeBlock(batch, *e.block)) {
      // Sent now, so a replay that stops here does not decompress the next block for nothing.
      batch.frame.assign(e.block->frame);
      if (!Hand(batch, limits, visit)) {
        stopped = true;
        return false;
      }
    }
    return true;
  }));
  if (!stopped && !batch.seqs.empty()) Hand(batch, limits, visit);
  return Status::Ok();
}

}  // namespace

Status BuildBatches(const journal::Journal& journal, const EventFilter& filter,
                    const BatchLimits& limits, const std::function<bool(Batch&&)>& visit) {
  return BuildRange(journal, filter, limits, SeqRange{}, visit);
}

Result<Batch> FirstBatch(const journal::Journal& journal, const EventFilter& filter,
                         const BatchLimits& limits, const SeqRange& range) {
  Batch first;
  GLASSBOX_RETURN_IF_ERROR(FirstBatchInto(journal, filter, limits, range, &first));
  return first;
}

Status FirstBatchInto(const journal::Journal& journal, const EventFilter& filter,
                      const BatchLimits& limits, const SeqRange& range, Batch* out) {
  // Built in out's buffers; the batch is swapped back into *out when it is handed over.
  Batch work;
  std::swap(work, *out);
  return BuildRange(
      journal, filter, limits, range,
      [out](Batch&& b) {
        std::swap(*out, b);
        return false;
      },
      &work);
}

std::pair<Batch, Batch> SplitBatch(const Batch& batch) {
  size_t half = batch.seqs.size() / 2, cut = 0;
  for (size_t i = 0; i < half; ++i) cut = batch.body.find('\n', cut) + 1;
  Batch a, b;
  a.seqs.assign(batch.seqs.begin(), batch.seqs.begin() + static_cast<std::ptrdiff_t>(half));
  b.seqs.assign(batch.seqs.begin() + static_cast<std::ptrdiff_t>(half), batch.seqs.end());
  a.body = batch.body.substr(0, cut);
  b.body = batch.body.substr(cut);
  Key(a, {});
  Key(b, {});
  return {std::move(a), std::move(b)};
}

std::optional<Compression> ParseCompression(std::string_view name) {
  if (name == "none" || name == "identity") return Compression::kNone;
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  return std::nullopt;
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "identity";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "identity";
}

Result<std::string> Compress(const Batch& batch, Compression c) {
  if (c == Compression::kZstd && !batch.frame.empty()) return batch.frame;
  return Compress(batch.body, c);
}

Result<std::string> Compress(const std::string& body, Compression c) {
  if (c == Compression::kNone) return body;
  if (c == Compression::kGzip) return Gzip(body);
  // Not zero-filled: a payload is ~1/10 of its bound, and zeroing all of it faulted in
  // every page where zstd touches only those it writes.
  size_t bound = ZSTD_compressBound(body.size());
  std::unique_ptr<char[]> out(new char[bound]);
  KeptContext cctx;
  if (!cctx.get()) return Status::IoError("zstd: out of memory");
  size_t n = ZSTD_compressCCtx(cctx.get(), out.get(), bound, body.data(), body.size(), 3);
  if (ZSTD_isError(n)) return Status::IoError(std::string("zstd: ") + ZSTD_getErrorName(n));
  return std::string(out.get(), n);
}

}  // namespace glassbox::replay
