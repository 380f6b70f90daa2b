// Fuzz target: a damaged journal file as salvage reads it (recovery at open, `glassbox doctor`).
// The input is the database file itself; salvage must end (a hang is a failure: libFuzzer's
// -timeout) and keep only rows that are events.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "journal/salvage.h"

namespace {

std::string scratch_dir;

void RemoveScratchDir() { std::filesystem::remove_all(scratch_dir); }

std::string ScratchDir() {
  char tmpl[] = "/tmp/glassbox-fuzz-salvage-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) __builtin_trap();
  scratch_dir = tmpl;
  std::atexit(RemoveScratchDir);
  return scratch_dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = ScratchDir() + "/journal.db";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ::unlink((path + "-wal").c_str());
  glassbox::journal::detail::Salvage salvage;
  glassbox::journal::detail::ReadDamaged(path, "", &salvage);
  for (const auto& e : salvage.events) {
    if (!glassbox::journal::detail::LooksLikeEvent(e.line)) __builtin_trap();
  }
  return 0;
}
