#pragma once
// Small helpers for benchmark figures: medians over runs, percentiles, peak RSS, timing.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace glassbox::bench {

inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Spread {
  double median = 0, min = 0, max = 0;
};

inline Spread SpreadOf(const std::vector<double>& v) {
  if (v.empty()) return {};
  return {Percentile(v, 0.5), *std::min_element(v.begin(), v.end()),
          *std::max_element(v.begin(), v.end())};
}

inline long PeakRssKiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

inline double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline std::string TempDir(const char* tag) {
  std::string tmpl = std::string("/tmp/glassbox-bench-") + tag + "-XXXXXX";
  return mkdtemp(tmpl.data()) ? tmpl : "/tmp";
}

}  // namespace glassbox::bench
