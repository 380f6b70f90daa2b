#pragma once
// The secret and PII scrubber for clear-text strings. The rules (what is caught, in which
// order, with examples) are in recorder/scrub_rules.cc and README.md.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "recorder/anonymizer.h"

namespace glassbox::recorder {

// The scrubber every Recorder uses: rewrites each match as [redacted:KIND] and counts it under
// KIND. Returns at once: the rule table (~3 ms to compile) is compiled on a thread of its own,
// and the first call waits for it. The returned function is cheap to copy and safe to call
// from several threads at once.
Scrubber DefaultScrubber();

// Scrubs every string value (not keys) of `value` in place.
void ScrubStrings(const Scrubber& scrub, nlohmann::json& value, std::map<std::string, int>& counts);

// Counts the [redacted:KIND] markers in the string values of `value`, by KIND. Used where an
// event's redactions are recomputed from stored data (a span's completed event).
void CountMarkers(const nlohmann::json& value, std::map<std::string, int>& counts);

}  // namespace glassbox::recorder
