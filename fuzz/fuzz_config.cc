// Fuzz target: the replay config file (TOML via toml++), as `glassbox replay --config` reads
// it. Only inputs up to the 1 MiB the loader accepts are meaningful.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "replay/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)glassbox::replay::ParseConfig(text, "fuzz.toml");
  return 0;
}
