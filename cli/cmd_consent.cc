// consent: on (record and upload), local (record, never upload), off (record nothing, delete
// pending events), status.
#include <iostream>

#include "base/ids.h"
#include "cli/cli.h"
#include "journal/consent.h"

namespace glassbox::cli {
namespace {

void PrintStatus(const journal::Journal& j) {
  auto stored = j.GetMeta("consent");
  auto forced = journal::ConsentFromEnvironment();
  std::cout << "consent " << journal::ConsentName(journal::EffectiveConsent(j)) << "\n";
  std::cout << "  stored       " << (stored.ok() ? stored.value() : "on (default)") << "\n";
  if (forced) {
    std::cout << "  environment  forces " << journal::ConsentName(*forced)
              << " (DO_NOT_TRACK / GLASSBOX_CONSENT)\n";
  }
  auto counts = j.CountStates();
  if (counts.ok() && counts.value().local) {
    std::cout << "  local-only   " << counts.value().local
              << " event(s) recorded under local; they are never uploaded\n";
  }
}

void SetConsent(journal::Journal& j, journal::Consent c) {
  Status st = journal::StoreConsent(j, c);
  if (!st.ok()) Fail(st);
  if (c == journal::Consent::kOff) {
    journal::LedgerEntry e{
        0, base::Rfc3339(base::Clock::now()), "delete", "consent off", 0, 0, "", "ok"};
    int64_t deleted = 0;
    st = j.DeleteInStateBefore(journal::EventState::kPending, INT64_MAX, "consent_deleted", &e,
                               &deleted);
    if (!st.ok()) Fail(st);
    std::cout << "consent off: recording stopped; deleted " << deleted << " pending event(s)\n";
  } else {
    std::cout << "consent " << journal::ConsentName(c) << "\n";
  }
  auto forced = journal::ConsentFromEnvironment();
  if (forced && *forced != c) {
    std::cerr << "glassbox: note: the environment still forces consent "
              << journal::ConsentName(*forced) << " (DO_NOT_TRACK / GLASSBOX_CONSENT)\n";
  }
}

}  // namespace

void RegisterConsent(CLI::App& app, const GlobalOptions& g) {
  auto choice = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("consent", "Show or set consent: on | local | off | status");
  cmd->add_option("choice", *choice,
                  "on: record and upload; local: record, never upload; off: record nothing and "
                  "delete pending events; status")
      ->required()
      ->check(CLI::IsMember({"on", "local", "off", "status"}));
  cmd->callback([choice, &g] {
    auto journal = OpenJournal(g);
    if (*choice == "status") return PrintStatus(*journal);
    SetConsent(*journal, *journal::ParseConsent(*choice));
  });
}

}  // namespace glassbox::cli
