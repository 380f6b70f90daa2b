// Fuzz target: journal block frames (zstd with a content checksum and an output limit) and
// the seq and state lists stored beside them (format 3's runs and format 2's one entry per
// event), as recovery reads them from damaged files.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "journal/block_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto body = glassbox::journal::detail::DecompressBlock(bytes, 1 << 20);
  if (body.ok()) {
    auto again = glassbox::journal::detail::CompressBlock(body.value(), 1);
    if (!again.ok()) __builtin_trap();
    auto round = glassbox::journal::detail::DecompressBlock(again.value(), 1 << 20);
    if (!round.ok() || round.value() != body.value()) __builtin_trap();
  }
  std::vector<int64_t> seqs;
  if (glassbox::journal::detail::DecodeSeqs(bytes, 1, &seqs)) {
    // What is accepted rises strictly from 1 (no overflow, no repeats) and round-trips.
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (seqs[i] < 1 || (i > 0 && seqs[i] <= seqs[i - 1])) __builtin_trap();
    }
    std::vector<int64_t> back;
    std::string encoded = glassbox::journal::detail::EncodeSeqs(seqs);
    if (!glassbox::journal::detail::DecodeSeqs(encoded, seqs.empty() ? 1 : seqs.front(), &back) ||
        back != seqs) {
      __builtin_trap();
    }
  }
  std::string states;
  if (glassbox::journal::detail::DecodeStates(bytes, &states)) {
    std::string back;
    if (states.size() > glassbox::journal::detail::kMaxBlockEvents ||
        !glassbox::journal::detail::DecodeStates(glassbox::journal::detail::EncodeStates(states),
                                                 &back) ||
        back != states) {
      __builtin_trap();
    }
  }
  return 0;
}
