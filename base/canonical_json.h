#pragma once
// RFC 8785 (JSON Canonicalization Scheme) serialization: keys sorted by UTF-16 code units,
// ECMAScript number formatting, minimal string escapes, no whitespace. The same configuration
// therefore always hashes to the same digest.
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace glassbox::base {

std::string CanonicalJson(const nlohmann::json& value);
// ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3).
std::string EcmaNumber(double value);

}  // namespace glassbox::base
