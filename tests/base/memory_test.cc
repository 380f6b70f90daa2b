#include "base/memory.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "base/files.h"

namespace glassbox::base {
namespace {

constexpr size_t kPage = 4096;

// An anonymous mapping nobody has touched: none of its pages is resident yet.
class FreshMapping {
 public:
  explicit FreshMapping(size_t bytes) : bytes_(bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data_ = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
  }
  ~FreshMapping() {
    if (data_) ::munmap(data_, bytes_);
  }
  char* data() const { return data_; }
  // Whether each page is resident, from the kernel's page tables.
  std::vector<bool> Resident() const {
    std::vector<unsigned char> v(bytes_ / kPage);
    if (::mincore(data_, bytes_, v.data()) != 0) return {};
    std::vector<bool> out;
    for (unsigned char c : v) out.push_back((c & 1) != 0);
    return out;
  }

 private:
  size_t bytes_;
  char* data_ = nullptr;
};

bool KernelPopulates() {
#ifdef MADV_POPULATE_WRITE
  FreshMapping probe(kPage);
  return probe.data() && ::madvise(probe.data(), kPage, MADV_POPULATE_WRITE) == 0;
#else
  return false;
#endif
}

// With transparent huge pages "always", a fault may map a whole 2 MiB page around the range.
bool HugePagesAlways() {
  auto setting = ReadFile("/sys/kernel/mm/transparent_hugepage/enabled", 256);
  return setting.ok() && setting.value().find("[always]") != std::string::npos;
}

// Whether the mapping that holds `at` carries MADV_HUGEPAGE ("hg" in /proc/self/smaps).
bool AdvisedHugePages(const void* at) {
  auto smaps = ReadFile("/proc/self/smaps", 64 << 20);
  if (!smaps.ok()) return false;
  auto addr = reinterpret_cast<uintptr_t>(at);
  std::istringstream in(smaps.value());
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    unsigned long long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx ", &lo, &hi) == 2 && line.find(':') > 17) {
      inside = addr >= lo && addr < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return (line + " ").find(" hg ") != std::string::npos;
    }
  }
  return false;
}

// Restores the process-wide default when a test is done with it.
struct HugePagesOn {
  HugePagesOn() { SetHugePagesForLargeBuffers(true); }
  ~HugePagesOn() { SetHugePagesForLargeBuffers(false); }
};

TEST(PrepareToFill, LeavesTheHostsHugePagePolicyAloneUnlessTheProcessAllowsIt) {
  const size_t bytes = 8 << 20;
  char* hugepage_inside = nullptr;
  {
    FreshMapping m(bytes);
    ASSERT_NE(m.data(), nullptr);
    auto first =
        (reinterpret_cast<uintptr_t>(m.data()) + (2 << 20) - 1) & ~uintptr_t{(2 << 20) - 1};
    hugepage_inside = reinterpret_cast<char*>(first);
    PrepareToFill(m.data(), bytes);
    EXPECT_FALSE(AdvisedHugePages(hugepage_inside)) << "an embedded recorder asked for huge pages";
  }
  if (!ReadFile("/sys/kernel/mm/transparent_hugepage/enabled", 256).ok()) {
    GTEST_SKIP() << "this kernel has no transparent huge pages";
  }
  HugePagesOn allowed;
  FreshMapping m(bytes);
  ASSERT_NE(m.data(), nullptr);
  // From the second page, so the first is always before the first whole huge page.
  auto first =
      (reinterpret_cast<uintptr_t>(m.data()) + kPage + (2 << 20) - 1) & ~uintptr_t{(2 << 20) - 1};
  PrepareToFill(m.data() + kPage, bytes - kPage);
  EXPECT_TRUE(AdvisedHugePages(reinterpret_cast<char*>(first)));
  EXPECT_FALSE(AdvisedHugePages(m.data())) << "the part before the first whole huge page";
}

TEST(PrepareToFill, KeepsWhatTheBufferAlreadyHolds) {
  std::string buffer(3 << 20, '\0');
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<char>('a' + i % 23);
  const std::string before = buffer;
  PrepareToFill(buffer.data() + 123, buffer.size() - 456);
  PrepareToFill(buffer.data(), buffer.size());
  EXPECT_TRUE(buffer == before);
}

TEST(PrepareToFill, MapsTheWholePagesOfALargeRangeAndNothingAroundThem) {
  if (!KernelPopulates()) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux 5.14)";
  FreshMapping m(16 * kPage + (4 << 20));
  ASSERT_NE(m.data(), nullptr);
  // From the middle of the first page to the middle of the fourth page before the end.
  size_t begin = kPage / 2, end = 16 * kPage + (4 << 20) - 3 * kPage - kPage / 2;
  PrepareToFill(m.data() + begin, end - begin);
  std::vector<bool> resident = m.Resident();
  ASSERT_EQ(resident.size(), 16 + (4 << 20) / kPage);
  for (size_t page = 1; page < end / kPage; ++page) {
    ASSERT_TRUE(resident[page]) << "page " << page;
  }
  if (HugePagesAlways()) return;
  EXPECT_FALSE(resident[0]) << "the first page is shared with bytes outside the range";
  for (size_t page = end / kPage; page < resident.size(); ++page) {
    EXPECT_FALSE(resident[page]) << "page " << page;
  }
}

TEST(PrepareToFill, LeavesSmallRangesToPageFaults) {
  FreshMapping m(kPrepareToFillMin);
  ASSERT_NE(m.data(), nullptr);
  PrepareToFill(m.data(), kPrepareToFillMin - 1);
  std::vector<bool> resident = m.Resident();
  ASSERT_EQ(resident.size(), kPrepareToFillMin / kPage);
  for (bool page : resident) EXPECT_FALSE(page);
}

TEST(AppendGrowing, AppendsLikeStdStringAndGrowsByDoubling) {
  std::string grown, plain;
  size_t capacity = grown.capacity(), growths = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "line " + std::to_string(i) + std::string(static_cast<size_t>(i % 700), 'x');
    AppendGrowing(grown, line);
    plain.append(line);
    if (grown.capacity() != capacity) {
      EXPECT_GE(grown.capacity(), 2 * capacity);
      capacity = grown.capacity();
      ++growths;
    }
  }
  EXPECT_TRUE(grown == plain);
  EXPECT_LE(growths, 24u);
}

TEST(AppendGrowing, ALargeNewBufferIsMappedBeforeItIsFilled) {
  if (!KernelPopulates()) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux 5.14)";
  std::string out(600 << 10, 'a');
  out.shrink_to_fit();
  AppendGrowing(out, std::string(1000, 'b'));
  ASSERT_GE(out.capacity(), size_t{1200} << 10);
  // The pages past what was written: only the preparation can have mapped them.
  auto tail = reinterpret_cast<uintptr_t>(out.data()) + out.size();
  uintptr_t begin = (tail + kPage - 1) & ~(kPage - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(out.data()) + out.capacity()) & ~(kPage - 1);
  ASSERT_GT(end, begin + 64 * kPage);
  std::vector<unsigned char> pages((end - begin) / kPage);
  ASSERT_EQ(::mincore(reinterpret_cast<void*>(begin), end - begin, pages.data()), 0);
  for (size_t i = 0; i < pages.size(); ++i) ASSERT_TRUE(pages[i] & 1) << "page " << i;
}

}  // namespace
}  // namespace glassbox::base
