#pragma once
// Turns an application's input into the event data that is stored and sent, following the
// schema's privacy plan: clear values pass (through the scrubber), hashed values become
// lowercase hex digests, dropped values vanish. Errors name fields, never values.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "glassbox/status.h"
#include "schema/schema.h"

namespace glassbox::recorder {

// Rewrites a clear-text string in place, counting redactions by kind.
using Scrubber = std::function<void(std::string& text, std::map<std::string, int>& counts)>;

struct AnonymizeOptions {
  std::string hmac_key;  // the per-install secret for hmac-sha256
  Scrubber scrubber;     // may be empty
};

struct Anonymized {
  nlohmann::json data;
  std::map<std::string, int> redactions;  // by kind, e.g. {"ip": 2}
};

// Digest of a value as the privacy class prescribes: the UTF-8 bytes of a string, or the
// RFC 8785 canonical JSON of anything else.
std::string HashValue(schema::Privacy privacy, const nlohmann::json& value,
                      const std::string& hmac_key);

Result<Anonymized> Anonymize(const schema::Schema& schema, const nlohmann::json& input,
                             const AnonymizeOptions& options);
// The same, consuming `input`: its values are moved into the result rather than copied.
Result<Anonymized> Anonymize(const schema::Schema& schema, nlohmann::json&& input,
                             const AnonymizeOptions& options);

}  // namespace glassbox::recorder
