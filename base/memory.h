#pragma once
// Large buffers that are about to be filled start to end: a block's text, a batch body.
#include <cstddef>
#include <string>
#include <string_view>

namespace glassbox::base {

// Buffers smaller than this are left to the kernel's page faults.
inline constexpr size_t kPrepareToFillMin = 256 << 10;

// A hint before `bytes` at `data` are written: asks the kernel to back the range with huge
// pages where it allows them (transparent_hugepage set to "madvise") and to map all of it in
// one call (MADV_POPULATE_WRITE, Linux 5.14). Filling fresh memory otherwise takes a page
// fault per 4 KiB, which on a virtual machine cost ~11 µs each: ~10 ms for a 3 MB block
// (bench/README.md). Errors are ignored (an older kernel, a range not its own): the memory
// then faults in as before. Contents are not changed.
void PrepareToFill(void* data, size_t bytes) noexcept;

// std::string::append for a buffer that grows to megabytes and is then reused (a block being
// filled, a batch of lines): it grows to twice its capacity, as libstdc++ does, into a buffer
// prepared with PrepareToFill before anything is copied into it.
void AppendGrowing(std::string& out, std::string_view bytes);

}  // namespace glassbox::base
