// purge: delete events from the journal on purpose (counted in the ledger, never silent).
#include <iostream>

#include "base/ids.h"
#include "cli/cli.h"

namespace glassbox::cli {

void RegisterPurge(CLI::App& app, const GlobalOptions& g) {
  struct PurgeOptions {
    std::vector<std::string> states;
    bool all = false;
  };
  auto o = std::make_shared<PurgeOptions>();
  auto* cmd =
      app.add_subcommand("purge", "Delete events in the given states (recorded in the ledger)");
  cmd->add_option("--state", o->states, "pending, sent, exported or local; repeatable")
      ->check(CLI::IsMember({"pending", "sent", "exported", "local"}));
  cmd->add_flag("--all", o->all, "Every event, whatever its state");
  cmd->callback([o, &g] {
    if (o->all == !o->states.empty()) throw Failure(kExitUsage, "purge needs --state S or --all");
    std::vector<std::string> states = o->states;
    if (o->all) states = {"pending", "sent", "exported", "local"};
    auto journal = OpenJournal(g);
    int64_t total = 0;
    for (const auto& name : states) {
      journal::LedgerEntry entry;
      entry.at = base::Rfc3339(base::Clock::now());
      entry.kind = "delete";
      entry.destination = "purge --state " + name;
      entry.result = "ok";
      int64_t deleted = 0;
      Status st = journal->DeleteInState(*journal::ParseState(name), &entry, &deleted);
      if (!st.ok()) Fail(st);
      total += deleted;
    }
    std::cout << "deleted " << total << " event(s)\n";
  });
}

}  // namespace glassbox::cli
