#include "recorder/scrubber.h"

namespace glassbox::recorder {

Scrubber DefaultScrubber() { return {}; }

}  // namespace glassbox::recorder
