#pragma once
// The secret and PII scrubber for clear-text strings (rules in recorder/scrub_rules.cc).
#include "recorder/anonymizer.h"

namespace glassbox::recorder {

// The scrubber every Recorder uses. Empty until the rule set lands.
Scrubber DefaultScrubber();

}  // namespace glassbox::recorder
