// Parsers for the small value syntaxes of the config file: durations, sizes, daily windows.
#include <charconv>
#include <cstdio>

#include "replay/config.h"

namespace glassbox::replay {
namespace {

// Reads a non-negative decimal integer at the front of `s`; false when there is none.
bool TakeNumber(std::string_view* s, int64_t* out) {
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), *out);
  if (ec != std::errc() || end == s->data() || *out < 0) return false;
  s->remove_prefix(static_cast<size_t>(end - s->data()));
  return true;
}

std::optional<int64_t> UnitMillis(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60'000;
  if (unit == "h") return 3'600'000;
  if (unit == "d") return 86'400'000;
  return std::nullopt;
}

std::optional<int64_t> UnitBytes(std::string_view unit) {
  if (unit.empty() || unit == "B") return 1;
  if (unit == "KiB") return int64_t{1} << 10;
  if (unit == "MiB") return int64_t{1} << 20;
  if (unit == "GiB") return int64_t{1} << 30;
  if (unit == "KB") return 1000;
  if (unit == "MB") return 1000 * 1000;
  if (unit == "GB") return 1000 * 1000 * 1000;
  return std::nullopt;
}

std::optional<int> ParseClock(std::string_view hhmm) {
  int64_t h = 0, m = 0;
  if (hhmm.size() != 5 || hhmm[2] != ':') return std::nullopt;
  std::string_view hs = hhmm.substr(0, 2), ms = hhmm.substr(3);
  if (!TakeNumber(&hs, &h) || !hs.empty() || !TakeNumber(&ms, &m) || !ms.empty()) {
    return std::nullopt;
  }
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return static_cast<int>(h * 60 + m);
}

}  // namespace

std::optional<Millis> ParseDuration(std::string_view text) {
  if (text == "0") return Millis(0);
  if (text.empty()) return std::nullopt;
  // Policy adds durations to system_clock time points, whose nanoseconds end in 2262: past
  // 100 years such a sum overflowed. The bound holds for the sum as for each term.
  constexpr int64_t kMaxMillis = kMaxDuration.count();
  int64_t total = 0;
  while (!text.empty()) {
    int64_t n = 0;
    if (!TakeNumber(&text, &n)) return std::nullopt;
    size_t unit_len = 0;
    while (unit_len < text.size() && text[unit_len] >= 'a' && text[unit_len] <= 'z') ++unit_len;
    auto unit = UnitMillis(text.substr(0, unit_len));
    if (!unit || n > kMaxMillis / *unit || total > kMaxMillis - n * *unit) return std::nullopt;
    total += n * *unit;
    text.remove_prefix(unit_len);
  }
  return Millis(total);
}

std::optional<int64_t> ParseSize(std::string_view text) {
  int64_t n = 0;
  if (!TakeNumber(&text, &n)) return std::nullopt;
  auto unit = UnitBytes(text);
  if (!unit || n > INT64_MAX / *unit) return std::nullopt;
  return n * *unit;
}

std::optional<Window> ParseWindow(std::string_view text) {
  if (text.size() != 11 || text[5] != '-') return std::nullopt;
  auto start = ParseClock(text.substr(0, 5)), end = ParseClock(text.substr(6));
  if (!start || !end || *start == 24 * 60 || *start == *end) return std::nullopt;
  return Window{*start, *end};
}

std::string FormatDuration(Millis d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  for (auto [unit, size] : {std::pair{"d", 86'400'000ll},
                            {"h", 3'600'000ll},
                            {"m", 60'000ll},
                            {"s", 1000ll},
                            {"ms", 1ll}}) {
    if (ms >= size) {
      out += std::to_string(ms / size) + unit;
      ms %= size;
    }
  }
  return out;
}

std::string FormatWindow(const Window& w) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", w.start_minute / 60, w.start_minute % 60,
                w.end_minute / 60, w.end_minute % 60);
  return buf;
}

}  // namespace glassbox::replay
