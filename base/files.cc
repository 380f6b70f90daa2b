#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "base/memory.h"

namespace glassbox::base {

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status EnsurePrivateDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? Status::Ok() : Status::IoError(dir + ": not a directory");
  }
  std::string parent = DirName(dir);
  if (parent != dir) GLASSBOX_RETURN_IF_ERROR(EnsurePrivateDir(parent));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IoError(dir + ": " + std::strerror(errno));
  }
  ::chmod(dir.c_str(), 0700);  // mkdir's mode is masked by the umask
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view bytes, const std::string& what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IoError(what + ": " + std::strerror(n < 0 ? errno : EIO));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

PrivateFileWriter::~PrivateFileWriter() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(tmp_.c_str());
}

Status PrivateFileWriter::Open(const std::string& path) {
  // One temporary file per writer, threads included: two writers sharing one would truncate
  // each other's bytes, and a reader could then find the renamed file half written.
  static std::atomic<uint64_t> writers{0};
  path_ = path;
  tmp_ = path + ".tmp." + std::to_string(::getpid()) + "." +
         std::to_string(writers.fetch_add(1, std::memory_order_relaxed));
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd_ < 0) return Status::IoError(path + ": " + std::strerror(errno));
  ::fchmod(fd_, 0600);
  return Status::Ok();
}

Status PrivateFileWriter::Append(std::string_view bytes) {
  if (fd_ < 0) return Status::IoError(path_ + ": not open");
  return WriteAll(fd_, bytes, path_);
}

Status PrivateFileWriter::Commit() {
  if (fd_ < 0) return Status::IoError(path_ + ": not open");
  bool synced = ::fsync(fd_) == 0;
  int err = errno;
  ::close(fd_);
  fd_ = -1;
  if (!synced || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    if (synced) err = errno;
    ::unlink(tmp_.c_str());
    return Status::IoError(path_ + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Status WritePrivateFile(const std::string& path, const std::string& bytes) {
  PrivateFileWriter file;
  GLASSBOX_RETURN_IF_ERROR(file.Open(path));
  GLASSBOX_RETURN_IF_ERROR(file.Append(bytes));
  return file.Commit();
}

Result<int> OpenScratchFile(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  // File systems without O_TMPFILE: a named file, unlinked at once.
  std::string name = dir + "/.glassbox-scratch-XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Status::IoError(dir + ": " + std::strerror(errno));
  ::unlink(name.c_str());
  return fd;
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(path + ": " + std::strerror(errno));
  std::string out;
  // Sized from the file once: grown by appends, a 20 MB bundle took a 32 MiB buffer. The
  // size is only a hint (the file may change, or be a pipe); the loop still decides.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    out.reserve(std::min(static_cast<size_t>(st.st_size), max_bytes));
    PrepareToFill(out.data(), out.capacity());
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Status::IoError(path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::InvalidArgument(path + ": larger than " + std::to_string(max_bytes) +
                                     " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string XdgHome(const std::string& kind) {
  std::string var = "XDG_" + kind + "_HOME";
  if (const char* v = std::getenv(var.c_str()); v && *v == '/') return v;
  const char* home = std::getenv("HOME");
  std::string base = home && *home ? home : "/tmp";
  if (kind == "CONFIG") return base + "/.config";
  if (kind == "STATE") return base + "/.local/state";
  return base + "/.local/share";
}

}  // namespace glassbox::base
