#pragma once
// Block bodies: a zstd frame over NDJSON lines, and a varint list of sequence deltas.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "glassbox/status.h"

namespace glassbox::journal::detail {

// Compresses `ndjson` (lines joined with '\n', trailing '\n') at `level`.
Result<std::string> CompressBlock(std::string_view ndjson, int level);
// Decompresses a block, refusing frames whose content exceeds `max_bytes`.
Result<std::string> DecompressBlock(std::string_view frame, size_t max_bytes);

std::string EncodeSeqs(const std::vector<int64_t>& seqs);
bool DecodeSeqs(std::string_view bytes, int64_t first, std::vector<int64_t>* seqs);

}  // namespace glassbox::journal::detail
