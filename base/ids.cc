#include "base/ids.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/digest.h"

namespace glassbox::base {
namespace {

bool KernelRandom(unsigned char* out, size_t n) {
  std::string bytes = RandomBytes(n);
  if (bytes.size() != n) return false;
  std::memcpy(out, bytes.data(), n);
  return true;
}

// Set when this thread's pool is gone: a host may record from a thread_local's destructor or
// an exit handler, after it. Trivially destructible, so it can be read at any time.
thread_local bool t_pool_gone = false;

// Event ids take their randomness from a page of the kernel's CSPRNG output, refilled when
// used up: one getrandom per id was ~1.1 µs of every record() on a VM where a syscall is
// that dear. The page is wiped in a forked child (MADV_WIPEONFORK), so parent and child never
// hand out the same bytes; where that advice is unavailable every id asks the kernel.
// Ids are not secrets (every one is uploaded), so keeping unused bytes in memory costs none.
class IdRandomness {
 public:
  IdRandomness() {
    void* page =
        ::mmap(nullptr, kPageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return;
    if (::madvise(page, kPageBytes, MADV_WIPEONFORK) != 0) {
      ::munmap(page, kPageBytes);
      return;
    }
    pool_ = static_cast<Pool*>(page);
  }
  ~IdRandomness() {
    if (pool_) ::munmap(pool_, kPageBytes);
    pool_ = nullptr;
    t_pool_gone = true;
  }
  IdRandomness(const IdRandomness&) = delete;
  IdRandomness& operator=(const IdRandomness&) = delete;

  bool Take(unsigned char* out, size_t n) {
    if (!pool_) return KernelRandom(out, n);
    // A wiped page reads as empty: `left` is 0, and the first id after a fork refills it.
    if (pool_->left < n) {
      if (!KernelRandom(pool_->bytes, sizeof pool_->bytes)) return false;
      pool_->left = sizeof pool_->bytes;
    }
    pool_->left -= n;
    std::memcpy(out, pool_->bytes + pool_->left, n);
    std::memset(pool_->bytes + pool_->left, 0, n);  // bytes handed out are not kept
    return true;
  }

 private:
  static constexpr size_t kPageBytes = 4096;
  struct Pool {
    size_t left;
    unsigned char bytes[kPageBytes - sizeof(size_t)];
  };

  Pool* pool_ = nullptr;
};

// One pool per thread: no lock on the record path, and a thread's pool goes with it.
bool TakeIdRandomness(unsigned char* out, size_t n) {
  if (t_pool_gone) return KernelRandom(out, n);
  thread_local IdRandomness randomness;
  return randomness.Take(out, n);
}

}  // namespace

int64_t UnixMillis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string NewUuidV7(Clock::time_point now) {
  unsigned char b[16] = {};
  if (!TakeIdRandomness(b + 6, 10)) std::memset(b + 6, 0, 10);  // CSPRNG failure: time only
  uint64_t ms = static_cast<uint64_t>(UnixMillis(now));
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0F));
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3F));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  for (size_t i = 0, at = 0; i < 16; ++i, ++at) {
    if (at == 8 || at == 13 || at == 18 || at == 23) ++at;
    out[at++] = kHex[b[i] >> 4];
    out[at] = kHex[b[i] & 0x0F];
  }
  return out;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

namespace {
void PutDigits(char* at, int value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}
}  // namespace

// Every event carries one, so it is written digit by digit: snprintf took about a microsecond.
std::string Rfc3339(Clock::time_point t) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day date(day);
  hh_mm_ss time(ms - day);
  int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) return "0000-01-01T00:00:00.000Z";  // not a clock we run on
  std::string out = "0000-00-00T00:00:00.000Z";
  PutDigits(&out[0], year, 4);
  PutDigits(&out[5], static_cast<int>(static_cast<unsigned>(date.month())), 2);
  PutDigits(&out[8], static_cast<int>(static_cast<unsigned>(date.day())), 2);
  PutDigits(&out[11], static_cast<int>(time.hours().count()), 2);
  PutDigits(&out[14], static_cast<int>(time.minutes().count()), 2);
  PutDigits(&out[17], static_cast<int>(time.seconds().count()), 2);
  PutDigits(&out[20], static_cast<int>(time.subseconds().count()), 3);
  return out;
}

namespace {

int Digits(std::string_view s, size_t at, size_t n) {
  int value = 0;
  for (size_t i = at; i < at + n; ++i) value = value * 10 + (s[i] - '0');
  return value;
}

// The form Rfc3339 writes, read without sscanf (a bundle's reader parses one per event). The
// same fields give the same time as the general path below: timegm adds days, hours, minutes
// and seconds past their range (Feb 31, 24:00) on linearly, and so does this.
bool ParseWritten(std::string_view s, Clock::time_point* out) {
  using namespace std::chrono;
  int year = Digits(s, 0, 4), month = Digits(s, 5, 2);
  if (year < 1970 || year > 2200 || month < 1 || month > 12) return false;
  auto day_one = sys_days{std::chrono::year{year} / month / 1};
  *out = time_point_cast<Clock::duration>(
      day_one + days{Digits(s, 8, 2) - 1} + hours{Digits(s, 11, 2)} + minutes{Digits(s, 14, 2)} +
      seconds{Digits(s, 17, 2)} + milliseconds{Digits(s, 20, 3)});
  return true;
}

bool LooksWritten(std::string_view s) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool ok = kShape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == kShape[i];
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool ParseRfc3339(std::string_view s, Clock::time_point* out) {
  if (LooksWritten(s)) return ParseWritten(s, out);
  std::tm tm{};
  std::string str(s);
  int consumed = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &consumed) != 3 ||
        consumed != static_cast<int>(str.size())) {
      return false;
    }
    str += "Z";  // a bare date means midnight UTC
  }
  int ms = 0;
  size_t i = static_cast<size_t>(consumed);
  if (i < str.size() && str[i] == '.') {
    int scale = 100;
    for (++i; i < str.size() && str[i] >= '0' && str[i] <= '9'; ++i, scale /= 10) {
      ms += (str[i] - '0') * scale;
    }
  }
  if (i + 1 != str.size() || str[i] != 'Z') return false;
  // system_clock counts nanoseconds in 64 bits: it ends in 2262.
  if (tm.tm_year < 1970 || tm.tm_year > 2200 || tm.tm_mon < 1 || tm.tm_mon > 12) return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *out = Clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
  return true;
}

}  // namespace glassbox::base
