#pragma once
// Identifiers and timestamps shared by every module.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace glassbox::base {

using Clock = std::chrono::system_clock;

// A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then randomness, so ids sort by time.
std::string NewUuidV7(Clock::time_point now = Clock::now());
bool IsUuid(std::string_view s);
// RFC 3339 UTC with milliseconds: 2026-11-26T10:44:22.123Z
std::string Rfc3339(Clock::time_point t);
// Parses what Rfc3339 writes, also without the fraction, or a bare date (midnight UTC).
// Years 1970..2200 only (the clock's range).
bool ParseRfc3339(std::string_view s, Clock::time_point* out);
int64_t UnixMillis(Clock::time_point t);

}  // namespace glassbox::base
