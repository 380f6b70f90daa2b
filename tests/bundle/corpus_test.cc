// The fuzzer's seed corpus: the seeds named valid-* still parse (fuzz.replay.fuzz_bundle runs
// every seed for crashes; this keeps the corpus deep as the format evolves).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/fuzz_bundle.h"

namespace {

TEST(BundleCorpus, EverySeedRunsAndTheValidOnesParse) {
  std::filesystem::path dir =
      std::filesystem::path(GLASSBOX_SOURCE_DIR) / "fuzz/corpus/fuzz_bundle";
  int seeds = 0, valid = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string bytes = s.str();
    int ok = glassbox::fuzz::ParseFuzzedBundle(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               bytes.size());
    bool expect_valid = entry.path().filename().string().starts_with("valid-");
    EXPECT_EQ(ok, expect_valid ? 1 : 0) << entry.path();
    ++seeds;
    valid += ok;
  }
  EXPECT_GE(seeds, 6);
  EXPECT_GE(valid, 3);
}

}  // namespace
