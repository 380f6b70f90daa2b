#pragma once
// Execution context, collected once per process. Never hostname, user name, IP addresses,
// environment variables or paths.
#include <nlohmann/json.hpp>
#include <string>

#include "glassbox/recorder.h"

namespace glassbox::recorder {

nlohmann::json CollectContext(const RecorderOptions& options, const std::string& install_id);

}  // namespace glassbox::recorder
