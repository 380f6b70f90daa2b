#pragma once
// The one consent gate that the recorder, replay and export all ask.
#include <optional>
#include <string>
#include <string_view>

#include "journal/journal.h"

namespace glassbox::journal {

enum class Consent { kOn, kLocal, kOff };
const char* ConsentName(Consent c);
std::optional<Consent> ParseConsent(std::string_view name);

// DO_NOT_TRACK=1 or GLASSBOX_CONSENT=off force off (from the environment, when set);
// GLASSBOX_CONSENT=local|on force that; otherwise the choice stored in the journal (default on).
Consent EffectiveConsent(const Journal& journal);
// The forced value from the environment, if any.
std::optional<Consent> ConsentFromEnvironment();
Status StoreConsent(Journal& journal, Consent c);

}  // namespace glassbox::journal
