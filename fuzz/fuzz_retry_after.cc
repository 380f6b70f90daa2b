// Fuzz target: Retry-After header values (delta-seconds, HTTP-dates, garbage) from collectors.
// The delay must always land in [0, cap].
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "replay/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace std::chrono;
  std::string_view value(reinterpret_cast<const char*>(data), size);
  const auto now = system_clock::time_point(seconds(1'800'000'000));
  const glassbox::replay::Millis cap(6 * 3600 * 1000);
  auto delay = glassbox::replay::ParseRetryAfter(value, now, cap);
  if (delay && (*delay < glassbox::replay::Millis(0) || *delay > cap)) __builtin_trap();
  return 0;
}
