/* gb_fault_shim: an LD_PRELOAD library that fails the k-th write or sync on matching files,
 * in the style of SQLite's I/O error tests. Test-only; never installed.
 *
 * Environment:
 *   GBFAULT_PATH    only descriptors whose path contains this string count (required)
 *   GBFAULT_OPS     "write" (write, pwrite, pwrite64) or "sync" (fsync, fdatasync)
 *   GBFAULT_K       fail the k-th counted call (1-based)
 *   GBFAULT_MODE    "once": only that call fails; "persist": it and every later one fail
 *   GBFAULT_ERRNO   "EIO" (default) or "ENOSPC"
 *   GBFAULT_REPORT  file to which "injected <op> <k>" is appended at the first injection
 *
 * Without GBFAULT_PATH and GBFAULT_K the shim passes everything through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void*, size_t, off64_t);
typedef int (*sync_fn)(int);

enum { kWrite = 1, kSync = 2 };

/* dlsym returns an object pointer; copying its bytes is the POSIX-blessed way to get a
 * function pointer without an ISO C pedantic error. */
#define RESOLVE(fn, name)                    \
  do {                                       \
    if (!(fn)) {                             \
      void* sym_ = dlsym(RTLD_NEXT, (name)); \
      memcpy(&(fn), &sym_, sizeof sym_);     \
    }                                        \
  } while (0)

static atomic_long g_calls;
static atomic_int g_injected;

static int Configured(int kind) {
  const char* ops = getenv("GBFAULT_OPS");
  if (!getenv("GBFAULT_PATH") || !getenv("GBFAULT_K") || !ops) return 0;
  return (kind == kWrite && strcmp(ops, "write") == 0) ||
         (kind == kSync && strcmp(ops, "sync") == 0);
}

static int Matches(int fd) {
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  return strstr(path, getenv("GBFAULT_PATH")) != NULL;
}

static void Report(const char* op, long k) {
  const char* file = getenv("GBFAULT_REPORT");
  if (!file) return;
  int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  char line[96];
  int len = snprintf(line, sizeof line, "injected %s %ld\n", op, k);
  write_fn real = NULL;
  RESOLVE(real, "write");
  if (real && len > 0) (void)real(fd, line, (size_t)len);
  close(fd);
}

/* Returns nonzero (with errno set) when this call must fail. */
static int ShouldFail(int kind, int fd, const char* op) {
  if (!Configured(kind) || !Matches(fd)) return 0;
  long k = atol(getenv("GBFAULT_K"));
  long call = atomic_fetch_add(&g_calls, 1) + 1;
  const char* mode = getenv("GBFAULT_MODE");
  int persist = mode && strcmp(mode, "persist") == 0;
  if (call < k || (call > k && !persist)) return 0;
  if (!atomic_exchange(&g_injected, 1)) Report(op, k);
  const char* e = getenv("GBFAULT_ERRNO");
  errno = e && strcmp(e, "ENOSPC") == 0 ? ENOSPC : EIO;
  return 1;
}

ssize_t write(int fd, const void* buf, size_t n) {
  static write_fn real;
  RESOLVE(real, "write");
  if (ShouldFail(kWrite, fd, "write")) return -1;
  return real(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  static pwrite_fn real;
  RESOLVE(real, "pwrite");
  if (ShouldFail(kWrite, fd, "pwrite")) return -1;
  return real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  static pwrite64_fn real;
  RESOLVE(real, "pwrite64");
  if (ShouldFail(kWrite, fd, "pwrite64")) return -1;
  return real(fd, buf, n, off);
}

int fsync(int fd) {
  static sync_fn real;
  RESOLVE(real, "fsync");
  if (ShouldFail(kSync, fd, "fsync")) return -1;
  return real(fd);
}

int fdatasync(int fd) {
  static sync_fn real;
  RESOLVE(real, "fdatasync");
  if (ShouldFail(kSync, fd, "fdatasync")) return -1;
  return real(fd);
}
