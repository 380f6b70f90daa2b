#pragma once
// The scrubber's rule table (internal to recorder/; the table itself is in scrub_rules.cc and
// is reproduced in README.md, "What the scrubber catches").
#include <cstddef>
#include <string_view>
#include <vector>

namespace glassbox::recorder::detail {

// Decides whether a candidate match is really a secret and may narrow it. `text` is the whole
// string; [*begin, *end) is the part that would be replaced.
using AcceptFn = bool (*)(std::string_view text, size_t* begin, size_t* end);

struct ScrubRule {
  const char* kind;     // the marker: [redacted:KIND] and the key in "redactions"
  const char* pattern;  // RE2 syntax; a (?P<secret>...) group narrows what is replaced
  const char* catches;  // for people: what the rule is for
  const char* example;  // an input it redacts
  AcceptFn accept;      // nullptr: every match is redacted
};

// The rules in the order they are applied: earlier rules win where patterns overlap (a URL's
// credentials before its e-mail-like user@host, IPv6 before the IPv4 embedded in it).
const std::vector<ScrubRule>& ScrubRules();

}  // namespace glassbox::recorder::detail
