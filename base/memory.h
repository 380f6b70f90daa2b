#pragma once
// Large buffers that are about to be filled start to end: a block's text, a batch body.
#include <cstddef>
#include <string>
#include <string_view>

namespace glassbox::base {

// Buffers smaller than this are left to the kernel's page faults.
inline constexpr size_t kPrepareToFillMin = 256 << 10;

// A hint before `bytes` at `data` are written: asks the kernel to map all of it in one call
// (MADV_POPULATE_WRITE, Linux 5.14), and to back it with huge pages if the process allows
// them (below). Filling fresh memory otherwise takes a page fault per 4 KiB, which on a
// virtual machine cost ~11 µs each: ~10 ms for a 3 MB block (bench/README.md). Errors are
// ignored (an older kernel, a range not its own): the memory then faults in as before.
// Contents are not changed.
void PrepareToFill(void* data, size_t bytes) noexcept;

// Whether PrepareToFill also asks for huge pages (MADV_HUGEPAGE, where transparent_hugepage
// is "madvise"). Off by default: huge pages change how a process's memory behaves (a fork
// copies 2 MiB at a write, a freed range may be kept whole), and in a host application that
// embeds the recorder that is the host's choice. The glassbox command, whose process is its
// own, turns it on.
void SetHugePagesForLargeBuffers(bool on) noexcept;

// std::string::append for a buffer that grows to megabytes and is then reused (a block being
// filled, a batch of lines): it grows to twice its capacity, as libstdc++ does, into a buffer
// prepared with PrepareToFill before anything is copied into it.
void AppendGrowing(std::string& out, std::string_view bytes);

}  // namespace glassbox::base
