#include "journal/block_codec.h"

#include <zstd.h>

#include <memory>

#include "base/memory.h"

namespace glassbox::journal::detail {
namespace {
struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};
// This thread's compression context for `level`. A journal compresses at two levels (level-0
// blocks fast, merges small), often on one thread, and one context switching between them
// reallocated its tables, faulting them in again, at nearly every merge: one context per
// level, for the two levels used last.
ZSTD_CCtx* ContextFor(int level) {
  struct Slot {
    int level = 0;
    std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx;
  };
  thread_local Slot slots[2];
  thread_local int last = 0;  // the slot used last
  int pick = slots[0].cctx && slots[0].level == level   ? 0
             : slots[1].cctx && slots[1].level == level ? 1
                                                        : 1 - last;
  Slot& slot = slots[pick];
  if (!slot.cctx || slot.level != level) {
    slot.cctx.reset(ZSTD_createCCtx());
    slot.level = level;
  }
  last = pick;
  return slot.cctx.get();
}

constexpr int kMinMatchSixFrom = 3;

}  // namespace

Result<std::string> CompressBlock(std::string_view ndjson, int level) {
  ZSTD_CCtx* cctx = ContextFor(level);
  if (!cctx) return Status::IoError("zstd: out of memory");
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  // A content checksum (4 bytes) turns a flipped byte in a stored block into a detected
  // Corruption instead of silently altered events.
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  // Event text repeats keys, ids and digests in runs of six bytes and more. zstd's minimum
  // match of 5 bytes (levels 3 to 9 on inputs this large) finds shorter matches that cost
  // more than they save: with 6, level 6 compresses a 4,096-event block as small as level 8
  // did, 1.3-1.4x faster, and it decompresses no slower (bench/README.md).
  if (level >= kMinMatchSixFrom) ZSTD_CCtx_setParameter(cctx, ZSTD_c_minMatch, 6);
  // Not zero-filled: a frame is ~1/13 of its bound, and zeroing the whole bound faulted in
  // every page of it (~660 for a level-2 block) where zstd touches only those it writes. Kept
  // by the thread: a fresh one per block was mapped, faulted in where zstd wrote, and unmapped
  // again; kept, only the pages a frame has reached stay mapped.
  const size_t bound = ZSTD_compressBound(ndjson.size());
  thread_local std::unique_ptr<char[]> out;
  thread_local size_t out_size = 0;
  if (out_size < bound) {
    out.reset();
    out_size = 0;  // stays so if the allocation below throws
    out.reset(new char[bound]);
    out_size = bound;
  }
  size_t n = ZSTD_compress2(cctx, out.get(), bound, ndjson.data(), ndjson.size());
  if (ZSTD_isError(n)) return Status::IoError(std::string("zstd: ") + ZSTD_getErrorName(n));
  return std::string(out.get(), n);
}

Result<std::string> DecompressBlock(std::string_view frame, size_t max_bytes) {
  std::string out;
  GLASSBOX_RETURN_IF_ERROR(DecompressBlockInto(frame, max_bytes, &out));
  return out;
}

Status DecompressBlockInto(std::string_view frame, size_t max_bytes, std::string* out) {
  out->clear();
  return AppendBlockText(frame, max_bytes, out);
}

Status AppendBlockText(std::string_view frame, size_t max_bytes, std::string* out) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption("block: not a sized zstd frame");
  }
  if (size > max_bytes) return Status::Corruption("block: content larger than the limit");
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  // Blocks are written with windows far below 2^27; a larger one is damage or an attack.
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, 27);
  const size_t at = out->size();
  if (out->capacity() < at + size) out->reserve(at + size + size / 8);
  base::PrepareToFill(out->data() + at, size);
  out->resize(at + size);
  size_t n = ZSTD_decompressDCtx(dctx.get(), out->data() + at, size, frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) return Status::Corruption("block: damaged zstd frame");
  return Status::Ok();
}

namespace {

// Format 3's lists start with a marker no format-2 list can start with: a format-2 sequence
// list starts with its first delta (at least 1), a format-2 state list with a state (at most
// kLocal).
constexpr char kSeqRuns = '\x00';
constexpr char kStateRuns = '\xFF';

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(0x80 | (v & 0x7F)));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Unsigned LEB128 of at most 63 bits; false when the bytes end inside one.
bool GetVarint(std::string_view bytes, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; *pos < bytes.size() && shift <= 56; shift += 7) {
    auto c = static_cast<unsigned char>(bytes[(*pos)++]);
    *v |= static_cast<uint64_t>(c & 0x7F) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

}  // namespace

std::string EncodeSeqs(const std::vector<int64_t>& seqs) {
  std::string out(1, kSeqRuns);
  int64_t prev = seqs.empty() ? 0 : seqs.front() - 1;
  for (size_t i = 0; i < seqs.size();) {
    size_t end = i + 1;
    while (end < seqs.size() && seqs[end] == seqs[end - 1] + 1) ++end;
    PutVarint(out, static_cast<uint64_t>(seqs[i] - prev));
    PutVarint(out, end - i - 1);
    prev = seqs[end - 1];
    i = end;
  }
  return out;
}

bool DecodeSeqs(std::string_view bytes, int64_t first, std::vector<int64_t>* seqs) {
  seqs->clear();
  if (first < 1) return false;  // seqs start at 1; a smaller first_seq is damage
  const bool runs = !bytes.empty() && bytes[0] == kSeqRuns;
  int64_t prev = first - 1;
  for (size_t pos = runs ? 1 : 0; pos < bytes.size();) {
    uint64_t gap = 0, more = 0;
    if (!GetVarint(bytes, &pos, &gap) || (runs && !GetVarint(bytes, &pos, &more))) return false;
    // Sequences rise strictly, so a gap is at least 1; a sum past INT64_MAX, or more events
    // than a block can hold, is damage.
    if (gap == 0 || gap > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_add_overflow(prev, static_cast<int64_t>(gap), &prev) ||
        more >= kMaxBlockEvents - seqs->size() || static_cast<uint64_t>(INT64_MAX - prev) < more) {
      return false;
    }
    seqs->push_back(prev);
    for (uint64_t k = 0; k < more; ++k) seqs->push_back(++prev);
  }
  return true;
}

std::string EncodeStates(std::string_view states) {
  std::string out(1, kStateRuns);
  for (size_t i = 0; i < states.size();) {
    size_t end = i + 1;
    while (end < states.size() && states[end] == states[i]) ++end;
    out.push_back(states[i]);
    PutVarint(out, end - i);
    i = end;
  }
  return out;
}

bool DecodeStates(std::string_view bytes, std::string* states) {
  states->clear();
  if (bytes.empty() || bytes[0] != kStateRuns) {  // format 2: one byte per event
    if (bytes.size() > kMaxBlockEvents) return false;
    states->assign(bytes);
    return true;
  }
  for (size_t pos = 1; pos < bytes.size();) {
    char state = bytes[pos++];
    uint64_t run = 0;
    if (!GetVarint(bytes, &pos, &run) || run == 0 || run > kMaxBlockEvents - states->size()) {
      return false;
    }
    states->append(run, state);
  }
  return true;
}

bool DecodeBlockLists(std::string_view seq_runs, int64_t first_seq, std::string_view state_runs,
                      std::vector<int64_t>* seqs, std::string* states) {
  // A block holds at least one event (one left empty is deleted).
  return DecodeSeqs(seq_runs, first_seq, seqs) && DecodeStates(state_runs, states) &&
         !seqs->empty() && seqs->size() == states->size();
}

}  // namespace glassbox::journal::detail
