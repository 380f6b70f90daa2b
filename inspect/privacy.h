#pragma once
// The privacy audit (`glassbox inspect privacy`): how guessable each hashed field's stored
// values are. A digest of a low-entropy input (a CLI flag, a small number, a boolean) is
// reversed by hashing every likely input and comparing: hashing is not anonymization. The
// audit does exactly that with a built-in dictionary and says plainly when a hashed field is
// effectively clear text. It also totals the scrubber's redactions.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glassbox/status.h"
#include "journal/journal.h"
#include "schema/schema.h"

namespace glassbox::inspect {

struct HashedFieldAudit {
  std::string schema;  // iglu: URI
  std::string field;   // as `schema show` names it: args[], plugins[].config, map.*
  schema::Privacy privacy = schema::Privacy::kMd5;
  int64_t values = 0;                           // digests stored (occurrences)
  std::map<std::string, int64_t> distinct;      // digest -> occurrences
  std::map<std::string, std::string> reversed;  // digest -> the dictionary input it came from

  enum class Verdict { kNoValues, kClearText, kPartlyGuessable, kNotReversed };
  // kClearText when at least half of the distinct values were reversed.
  Verdict verdict() const;
};

// A clear-text field its schema exempts from the scrubber ("x-scrub": false).
struct UnscrubbedField {
  std::string schema, field, reason;
};

struct PrivacyAudit {
  int64_t events = 0;
  int64_t dictionary_size = 0;
  std::vector<HashedFieldAudit> fields;       // every hashed field of every schema seen
  std::vector<UnscrubbedField> unscrubbed;    // of the schemas seen
  std::vector<std::string> unknown_schemas;   // seen in the journal, not in the registry
  std::map<std::string, int64_t> redactions;  // scrubber redactions by kind, all events
  int64_t events_with_redactions = 0;
};

// Scans every stored event. hmac-sha256 fields are checked with this install's key, read from
// the journal: whoever can read the journal has the key too (the key itself is never shown).
Result<PrivacyAudit> AuditPrivacy(const journal::Journal& journal,
                                  const schema::Registry& registry);

nlohmann::ordered_json PrivacyAuditJson(const PrivacyAudit& audit);
std::string PrivacyAuditText(const PrivacyAudit& audit);

// The built-in dictionary of likely inputs: common CLI flags and words (each also as --word
// and --no-word), tool and plugin names, 0..10000, -100..-1, x.y and x.y.z versions up to 20,
// booleans, null, {}, [], the empty string, and every string of 1 to 3 characters over
// [a-z0-9-].
std::vector<std::string> Dictionary();

}  // namespace glassbox::inspect
