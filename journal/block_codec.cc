#include "journal/block_codec.h"

#include <zstd.h>

#include <memory>

namespace glassbox::journal::detail {
namespace {
struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};
}  // namespace

Result<std::string> CompressBlock(std::string_view ndjson, int level) {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  // A content checksum (4 bytes) turns a flipped byte in a stored block into a detected
  // Corruption instead of silently altered events.
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(ndjson.size()), '\0');
  size_t n = ZSTD_compress2(cctx.get(), out.data(), out.size(), ndjson.data(), ndjson.size());
  if (ZSTD_isError(n)) return Status::IoError(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::string> DecompressBlock(std::string_view frame, size_t max_bytes) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption("block: not a sized zstd frame");
  }
  if (size > max_bytes) return Status::Corruption("block: content larger than the limit");
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  // Blocks are written with windows far below 2^27; a larger one is damage or an attack.
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, 27);
  std::string out(size, '\0');
  size_t n = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != size) return Status::Corruption("block: damaged zstd frame");
  return out;
}

std::string EncodeSeqs(const std::vector<int64_t>& seqs) {
  std::string out;
  int64_t prev = seqs.empty() ? 0 : seqs.front() - 1;
  for (int64_t s : seqs) {
    uint64_t d = static_cast<uint64_t>(s - prev);
    prev = s;
    while (d >= 0x80) {
      out.push_back(static_cast<char>(0x80 | (d & 0x7F)));
      d >>= 7;
    }
    out.push_back(static_cast<char>(d));
  }
  return out;
}

bool DecodeSeqs(std::string_view bytes, int64_t first, std::vector<int64_t>* seqs) {
  seqs->clear();
  int64_t prev = first - 1;
  uint64_t d = 0;
  int shift = 0;
  for (unsigned char c : bytes) {
    if (shift > 56) return false;
    d |= static_cast<uint64_t>(c & 0x7F) << shift;
    if (c & 0x80) {
      shift += 7;
      continue;
    }
    // Sequences rise strictly, so a delta is at least 1; a sum past INT64_MAX is damage.
    if (d == 0 || d > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_add_overflow(prev, static_cast<int64_t>(d), &prev)) {
      return false;
    }
    seqs->push_back(prev);
    d = 0;
    shift = 0;
  }
  return shift == 0;
}

}  // namespace glassbox::journal::detail
