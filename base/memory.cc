#include "base/memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace glassbox::base {
namespace {

std::atomic<bool> huge_pages{false};

constexpr uintptr_t kPage = 4096;
constexpr uintptr_t kHugePage = 2 << 20;

uintptr_t RoundUp(uintptr_t v, uintptr_t to) { return (v + to - 1) & ~(to - 1); }
uintptr_t RoundDown(uintptr_t v, uintptr_t to) { return v & ~(to - 1); }

void Advise(uintptr_t begin, uintptr_t end, int advice) {
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, advice);
}

}  // namespace

void PrepareToFill(void* data, size_t bytes) noexcept {
  if (bytes < kPrepareToFillMin) return;
  auto at = reinterpret_cast<uintptr_t>(data);
  // Only whole pages inside the range: the pages at its edges may hold someone else's bytes.
  uintptr_t begin = RoundUp(at, kPage), end = RoundDown(at + bytes, kPage);
  // Only whole huge pages: flagging a partial one would leave it to khugepaged later.
  if (huge_pages.load(std::memory_order_relaxed)) {
    Advise(RoundUp(begin, kHugePage), RoundDown(end, kHugePage), MADV_HUGEPAGE);
  }
#ifdef MADV_POPULATE_WRITE
  Advise(begin, end, MADV_POPULATE_WRITE);
#endif
}

void SetHugePagesForLargeBuffers(bool on) noexcept {
  huge_pages.store(on, std::memory_order_relaxed);
}

void AppendGrowing(std::string& out, std::string_view bytes) {
  size_t need = out.size() + bytes.size();
  if (need > out.capacity()) {
    std::string grown;
    grown.reserve(std::max(need, 2 * out.capacity()));
    PrepareToFill(grown.data(), grown.capacity());
    grown.append(out);
    out.swap(grown);
  }
  out.append(bytes);
}

}  // namespace glassbox::base
