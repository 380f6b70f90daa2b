// Text and JSON forms of the privacy audit (shape documented in README.md, "inspect privacy").
#include <algorithm>
#include <sstream>

#include "inspect/privacy.h"

namespace glassbox::inspect {
namespace {

using Verdict = HashedFieldAudit::Verdict;

const char* VerdictKey(Verdict v) {
  switch (v) {
    case Verdict::kClearText:
      return "clear_text";
    case Verdict::kPartlyGuessable:
      return "partly_guessable";
    case Verdict::kNotReversed:
      return "not_reversed";
    case Verdict::kNoValues:
      return "no_values";
  }
  return "?";
}

const char* VerdictText(Verdict v) {
  switch (v) {
    case Verdict::kClearText:
      return "EFFECTIVELY CLEAR TEXT";
    case Verdict::kPartlyGuessable:
      return "partly guessable";
    case Verdict::kNotReversed:
      return "not reversed by the dictionary (not proof that it cannot be)";
    case Verdict::kNoValues:
      return "no values stored";
  }
  return "?";
}

// Wraps `text` at 78 columns, indenting continuation lines by `indent`.
std::string Wrap(const std::string& text, size_t indent) {
  std::istringstream words(text);
  std::string word, out, line(std::min(text.find_first_not_of(' '), text.size()), ' ');
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > 78) {
      out += line + "\n";
      line = std::string(indent, ' ');
    }
    line += (line.find_first_not_of(' ') == std::string::npos ? "" : " ") + word;
  }
  return out + line + "\n";
}

std::vector<std::string> Notes(const PrivacyAudit& a) {
  std::vector<std::string> notes = {
      "md5 and sha256 digests are unkeyed: whoever receives them can hash likely inputs and "
      "compare, as this audit does. Hashing is not anonymization."};
  for (const auto& f : a.fields) {
    if (f.privacy != schema::Privacy::kHmacSha256) continue;
    notes.push_back(
        "hmac-sha256 fields were checked with this install's key. Anyone who can read this "
        "journal has that key, so locally they are as guessable as shown; off this machine the "
        "key is unknown (it is never uploaded or exported) and the digests cannot be "
        "enumerated.");
    break;
  }
  return notes;
}

// The schema's name and version without vendor and format, to fit 80 columns.
std::string ShortSchema(const std::string& uri) {
  auto key = schema::ParseIgluUri(uri);
  return key ? key->name + "@" + key->version : uri;
}

void WriteField(std::ostringstream& out, const HashedFieldAudit& f) {
  out << ShortSchema(f.schema) << "  " << f.field << "  (" << schema::PrivacyName(f.privacy)
      << "): " << VerdictText(f.verdict()) << "\n  " << f.values << " values, " << f.distinct.size()
      << " distinct, " << f.reversed.size() << " reversed by hashing the dictionary\n";
  if (f.reversed.empty()) return;
  std::vector<std::string> inputs;
  for (const auto& [digest, input] : f.reversed) inputs.push_back(input.empty() ? "\"\"" : input);
  std::sort(inputs.begin(), inputs.end());
  std::string line = "  reversed:";
  for (size_t i = 0; i < inputs.size() && i < 12; ++i) line += " " + inputs[i];
  if (inputs.size() > 12) line += " ... and " + std::to_string(inputs.size() - 12) + " more";
  out << Wrap(line, 4);
}

}  // namespace

nlohmann::ordered_json PrivacyAuditJson(const PrivacyAudit& a) {
  nlohmann::ordered_json j;
  j["events"] = a.events;
  j["dictionary_size"] = a.dictionary_size;
  j["fields"] = nlohmann::ordered_json::array();
  for (const auto& f : a.fields) {
    nlohmann::ordered_json matches = nlohmann::ordered_json::array();
    for (const auto& [digest, input] : f.reversed) {
      matches.push_back({{"digest", digest}, {"input", input}, {"count", f.distinct.at(digest)}});
    }
    j["fields"].push_back({{"schema", f.schema},
                           {"field", f.field},
                           {"privacy", schema::PrivacyName(f.privacy)},
                           {"values", f.values},
                           {"distinct", f.distinct.size()},
                           {"reversed", f.reversed.size()},
                           {"verdict", VerdictKey(f.verdict())},
                           {"matches", matches}});
  }
  j["unscrubbed_fields"] = nlohmann::ordered_json::array();
  for (const auto& u : a.unscrubbed) {
    j["unscrubbed_fields"].push_back(
        {{"schema", u.schema}, {"field", u.field}, {"reason", u.reason}});
  }
  j["unknown_schemas"] = a.unknown_schemas;
  j["redactions"] = a.redactions;
  j["events_with_redactions"] = a.events_with_redactions;
  j["notes"] = Notes(a);
  return j;
}

std::string PrivacyAuditText(const PrivacyAudit& a) {
  std::ostringstream out;
  out << "Privacy audit of " << a.events << " events; dictionary of " << a.dictionary_size
      << " likely inputs\n\n";
  if (a.fields.empty()) out << "No hashed fields in the schemas of stored events.\n";
  for (const auto& f : a.fields) WriteField(out, f);
  for (const auto& uri : a.unknown_schemas) {
    out << Wrap(uri + ": schema not available (pass --schemas); its fields were not audited", 2);
  }
  for (const auto& u : a.unscrubbed) {
    out << Wrap(ShortSchema(u.schema) + " " + u.field +
                    " (clear): NOT SCRUBBED (x-scrub: false) - " + u.reason,
                2);
  }
  out << "\nScrubber: ";
  int64_t total = 0;
  for (const auto& [kind, n] : a.redactions) total += n;
  out << total << " redaction(s) in " << a.events_with_redactions << " event(s)";
  const char* sep = ": ";
  for (const auto& [kind, n] : a.redactions) {
    out << sep << kind << " " << n;
    sep = ", ";
  }
  out << "\n\n";
  for (const auto& note : Notes(a)) out << Wrap("Note: " + note, 2);
  return out.str();
}

}  // namespace glassbox::inspect
