#pragma once
// Private files: everything glassbox writes is 0600 in a 0700 directory, whatever the umask.
#include <string>

#include "glassbox/status.h"

namespace glassbox::base {

// Creates `dir` and missing parents with mode 0700 (existing parents are left alone).
Status EnsurePrivateDir(const std::string& dir);
// Writes `bytes` to `path` atomically (temp file + rename) with mode 0600.
Status WritePrivateFile(const std::string& path, const std::string& bytes);
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);
std::string DirName(const std::string& path);
// $XDG_<kind>_HOME or ~/.local/share, ~/.config ...; `kind` is "DATA" or "CONFIG" or "STATE".
std::string XdgHome(const std::string& kind);

}  // namespace glassbox::base
