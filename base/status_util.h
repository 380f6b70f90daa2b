#pragma once
// Small helpers over glassbox::Status shared by the modules.
#include <string>

#include "glassbox/status.h"

namespace glassbox::base {

// The same status (same code) with `prefix` before its message, e.g. the file at fault.
Status Prefixed(const Status& status, const std::string& prefix);

}  // namespace glassbox::base
