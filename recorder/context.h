#pragma once
// Execution context, collected once per process. Never hostname, user name, IP addresses,
// environment variables or paths.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "glassbox/recorder.h"
#include "recorder/anonymizer.h"

namespace glassbox::recorder {

// The values the host passes (app and runtime names and versions, project ID) and those read
// from the system go through `scrub` like any clear-text field; what it redacts is counted in
// `redactions` (every event of the process carries the same context, so it carries these too).
nlohmann::json CollectContext(const RecorderOptions& options, const std::string& install_id,
                              const Scrubber& scrub, std::map<std::string, int>* redactions);

}  // namespace glassbox::recorder
