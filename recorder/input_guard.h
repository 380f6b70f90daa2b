#pragma once
// Limits on event input, checked before anything is parsed into memory.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "glassbox/status.h"

namespace glassbox::recorder {

inline constexpr size_t kMaxInputBytes = 1 << 20;  // one event's input JSON
inline constexpr int kMaxDepth = 32;
inline constexpr size_t kMaxFields = 10000;  // object members + array elements
// A recording thread keeps its parse and write buffers from one event to the next up to this
// size; after an unusually large event they are given back, not held for the thread's life.
inline constexpr size_t kKeptBufferBytes = 64 << 10;

// Parses `text` into `out`, refusing: bytes over kMaxInputBytes, invalid JSON or UTF-8,
// nesting deeper than kMaxDepth, more than kMaxFields values, duplicate keys, non-finite or
// out-of-range numbers, and a top level that is not an object. `what` prefixes messages.
Status ParseInput(std::string_view text, std::string_view what, nlohmann::json* out);

namespace detail {
// The reference ParseInput is checked against (tests, fuzz): nlohmann's parser with every
// limit enforced as it reads. ParseInput itself tries simdjson first and falls back to this.
Status ParseInputWithNlohmann(std::string_view text, std::string_view what, nlohmann::json* out);
}  // namespace detail

}  // namespace glassbox::recorder
