// inspect: what the journal holds, exactly as it would be sent.
#include <iostream>

#include "cli/cli.h"
#include "cli/inspect_common.h"
#include "inspect/inspect.h"

namespace glassbox::cli {
namespace {

struct InspectOptions {
  std::string format = "table";
  int64_t limit = 0;
  std::string state;
};

inspect::Format ParseFormat(const std::string& f) {
  if (f == "json") return inspect::Format::kJson;
  if (f == "ndjson") return inspect::Format::kNdjson;
  return inspect::Format::kTable;
}

}  // namespace

void RegisterInspect(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "Show what the journal holds and would send");
  // Views are subcommands; fallthrough (inherited by each view added below) lets
  // `inspect events FILE.gbx` reach the FILE argument, which OpenJournal then serves.
  cmd->fallthrough();
  cmd->add_option("bundle", g.bundle, "A bundle (.gbx) to inspect instead of the journal")
      ->check(CLI::ExistingFile);
  g.bundle_limits.Register(cmd);
  cmd->add_option("--format", o->format, "table (for people) or json")
      ->check(CLI::IsMember({"table", "text", "json"}));
  cmd->callback([o, cmd, &g] {
    if (!cmd->get_subcommands().empty()) return;
    auto journal = OpenJournal(g);
    auto summary = inspect::Summarize(*journal);
    if (!summary.ok()) Fail(summary.status());
    if (o->format == "json") {
      std::cout << inspect::SummaryJson(summary.value()).dump(2) << "\n";
    } else {
      std::cout << inspect::SummaryText(summary.value());
    }
  });

  auto e = std::make_shared<InspectOptions>();
  auto* events = cmd->add_subcommand("events", "The stored events, exactly as they would be sent");
  auto view = std::make_shared<ViewOptions>();
  AddViewOptions(events, *view, {"table", "json", "ndjson"});
  events->add_option("--state", e->state, "Only pending, sent, exported or local events")
      ->check(CLI::IsMember({"pending", "sent", "exported", "local"}));
  events->callback([e, view, &g] {
    auto journal = OpenJournal(g);
    inspect::EventsQuery q;
    q.limit = view->limit;
    q.filter = FilterOf(*view);
    e->format = view->format;
    if (!e->state.empty()) q.filter.state = journal::ParseState(e->state);
    Status st = inspect::WriteEvents(*journal, q, ParseFormat(e->format), std::cout);
    if (!st.ok()) Fail(st);
  });
  RegisterInspectViews(cmd, g);
  RegisterInspectPrivacy(*cmd, g);
}

}  // namespace glassbox::cli
