#pragma once
// Private files: everything glassbox writes is 0600 in a 0700 directory, whatever the umask.
#include <string>
#include <string_view>

#include "glassbox/status.h"

namespace glassbox::base {

// Creates `dir` and missing parents with mode 0700 (existing parents are left alone).
Status EnsurePrivateDir(const std::string& dir);
// Writes `bytes` to `path` atomically (temp file + rename) with mode 0600.
Status WritePrivateFile(const std::string& path, const std::string& bytes);

// The same, for a file written in pieces (a bundle larger than memory should hold): Append
// writes to a temporary file beside `path`, Commit syncs it and renames it into place.
// Destroyed without a successful Commit, it leaves nothing behind.
class PrivateFileWriter {
 public:
  PrivateFileWriter() = default;
  ~PrivateFileWriter();
  PrivateFileWriter(const PrivateFileWriter&) = delete;
  PrivateFileWriter& operator=(const PrivateFileWriter&) = delete;
  Status Open(const std::string& path);
  Status Append(std::string_view bytes);
  Status Commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
};

// An unnamed private file in `dir` (unlinked at once, gone when closed): scratch space on the
// file system instead of memory. Returns its descriptor; the caller closes it.
Result<int> OpenScratchFile(const std::string& dir);
// Writes all of `bytes` to `fd` (retrying short writes); `what` names it in errors.
Status WriteAll(int fd, std::string_view bytes, const std::string& what);
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);
std::string DirName(const std::string& path);
// $XDG_<kind>_HOME or ~/.local/share, ~/.config ...; `kind` is "DATA" or "CONFIG" or "STATE".
std::string XdgHome(const std::string& kind);

}  // namespace glassbox::base
