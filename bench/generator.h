#pragma once
// A deterministic generator of a realistic cli_event input stream (see bench/README.md for the
// distribution): the same seed always gives the same events.
#include <cstdint>
#include <random>
#include <string>

namespace glassbox::bench {

class EventGenerator {
 public:
  explicit EventGenerator(uint64_t seed = 42) : rng_(seed) {}
  // The next event's input JSON object for cli_event (before anonymization).
  std::string NextInput();
  // The next `{"schema":"cli_event","data":...}` NDJSON line (for record --ndjson).
  std::string NextNdjsonLine();

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  size_t Zipf(size_t n);  // small indexes much more likely, as real usage is skewed
  std::mt19937_64 rng_;
};

}  // namespace glassbox::bench
