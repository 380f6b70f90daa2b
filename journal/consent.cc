#include "journal/consent.h"

#include <cstdlib>

namespace glassbox::journal {

const char* ConsentName(Consent c) {
  switch (c) {
    case Consent::kOn:
      return "on";
    case Consent::kLocal:
      return "local";
    case Consent::kOff:
      return "off";
  }
  return "?";
}

std::optional<Consent> ParseConsent(std::string_view name) {
  for (auto c : {Consent::kOn, Consent::kLocal, Consent::kOff}) {
    if (name == ConsentName(c)) return c;
  }
  return std::nullopt;
}

std::optional<Consent> ConsentFromEnvironment() {
  const char* dnt = std::getenv("DO_NOT_TRACK");
  if (dnt && *dnt && std::string_view(dnt) != "0") return Consent::kOff;
  const char* forced = std::getenv("GLASSBOX_CONSENT");
  if (forced && *forced) {
    // An unrecognised value errs on the side of privacy.
    return ParseConsent(forced).value_or(Consent::kOff);
  }
  return std::nullopt;
}

Consent EffectiveConsent(const Journal& journal) {
  if (auto forced = ConsentFromEnvironment()) return *forced;
  auto stored = journal.GetMeta("consent");
  if (!stored.ok()) return Consent::kOn;
  return ParseConsent(stored.value()).value_or(Consent::kOff);
}

Status StoreConsent(Journal& journal, Consent c) {
  return journal.SetMeta("consent", ConsentName(c));
}

}  // namespace glassbox::journal
