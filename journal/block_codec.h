#pragma once
// Block bodies (a zstd frame over NDJSON lines) and the run lists of seqs and states beside them.
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
// The same into `*out`, reusing its buffer: a scan of many blocks then maps its memory once
// instead of faulting in a fresh ~3 MB per block. `*out` is unspecified on failure.
Status DecompressBlockInto(std::string_view frame, size_t max_bytes, std::string* out);
// Appends a block's text to `*out` (a merge joins several); `*out` is unspecified on failure.
Status AppendBlockText(std::string_view frame, size_t max_bytes, std::string* out);

// A block's sequence list and its events' states, stored as runs (format 3; layouts in
// journal/FORMAT.md). The decoders also read format 2's one-entry-per-event lists, and refuse
// damage: a list that ends inside a number, seqs that do not rise or start below 1, more than
// kMaxBlockEvents.
inline constexpr size_t kMaxBlockEvents = 1 << 20;
std::string EncodeSeqs(const std::vector<int64_t>& seqs);
bool DecodeSeqs(std::string_view bytes, int64_t first, std::vector<int64_t>* seqs);
// `states` holds one EventState byte per event.
std::string EncodeStates(std::string_view states);
bool DecodeStates(std::string_view bytes, std::string* states);
// Both lists of one block; false unless both decode and name the same number (≥ 1) of events.
bool DecodeBlockLists(std::string_view seq_runs, int64_t first_seq, std::string_view state_runs,
                      std::vector<int64_t>* seqs, std::string* states);

}  // namespace glassbox::journal::detail
