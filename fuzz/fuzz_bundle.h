#pragma once
// Fuzz target: the bundle reader (replay/bundle.h), as import, inspect FILE.gbx and
// replay --bundle run it on a file from another machine. Declared here so the bundle unit
// tests can also check that the corpus's valid-* seeds parse (a format change that makes them
// refused would quietly make the fuzzer shallow).
#include <cstddef>
#include <cstdint>

namespace glassbox::fuzz {

// The first byte picks what the rest is, so that mutations reach every layer despite the
// digests that guard a real file:
//   0: a bundle file as is (trailer, frames, checksums all at stake);
//   1: zstd frames, to which a valid trailer is appended;
//   2: the decompressed text, put into one checksummed frame and sealed.
// Returns 1 when the input parsed as a bundle, 0 when it was refused.
int ParseFuzzedBundle(const uint8_t* data, size_t size);

}  // namespace glassbox::fuzz
