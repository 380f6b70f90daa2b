// inspect ledger | explain | hash | open-spans | payload | report: the audit views.
#include <fstream>
#include <iostream>

#include "cli/inspect_common.h"

namespace glassbox::cli {
namespace {

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) Fail(r.status());
  return std::move(r).value();
}

void RegisterLedger(CLI::App* inspect, const GlobalOptions& g) {
  auto o = std::make_shared<ViewOptions>();
  auto* cmd = inspect->add_subcommand("ledger", "Every upload, export, import and deletion");
  AddViewOptions(cmd, *o, {"table", "json"});
  cmd->callback([o, &g] {
    auto json = Must(inspect::LedgerJson(*OpenJournal(g), PageOf(*o)));
    Emit(*o, json, inspect::LedgerText(json));
  });
}

void RegisterExplain(CLI::App* inspect, const GlobalOptions& g) {
  auto o = std::make_shared<ViewOptions>();
  auto id = std::make_shared<std::string>();
  auto* cmd = inspect->add_subcommand("explain", "What was done to each field of one event");
  cmd->add_option("event_id", *id, "The event's id")->required();
  cmd->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([o, id, &g] {
    auto json = Must(inspect::ExplainJson(*OpenJournal(g), *OpenRegistry(g), *id));
    Emit(*o, json, inspect::ExplainText(json));
  });
}

void RegisterHash(CLI::App* inspect, const GlobalOptions& g) {
  struct HashOptions {
    std::string value, algo = "md5", format = "table";
    bool json = false;
  };
  auto o = std::make_shared<HashOptions>();
  auto* cmd = inspect->add_subcommand("hash", "Digest a value locally, as the recorder would");
  cmd->add_option("value", o->value,
                  "The value, or - to read it from stdin (keeps it out of "
                  "shell history)")
      ->required();
  cmd->add_option("--algo", o->algo, "md5, sha256 or hmac-sha256 (this install's key)")
      ->check(CLI::IsMember({"md5", "sha256", "hmac-sha256"}));
  cmd->add_flag("--json", o->json, "VALUE is JSON: hash its RFC 8785 canonical form");
  cmd->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([o, &g] {
    std::string value = o->value;
    if (value == "-") {
      value.assign(std::istreambuf_iterator<char>(std::cin), {});
      if (!value.empty() && value.back() == '\n') value.pop_back();
    }
    std::string key;
    if (o->algo == "hmac-sha256") key = Must(OpenJournal(g)->GetMeta("hmac_key"));
    auto json = Must(inspect::HashJson(value, o->algo, o->json, key));
    ViewOptions view;
    view.format = o->format;
    Emit(view, json, json["digest"].get<std::string>() + "\n");
  });
}

void RegisterOpenSpans(CLI::App* inspect, const GlobalOptions& g) {
  auto o = std::make_shared<ViewOptions>();
  auto* cmd = inspect->add_subcommand("open-spans", "Started work without a completion");
  AddViewOptions(cmd, *o, {"table", "json"});
  cmd->callback([o, &g] {
    auto json = Must(inspect::OpenSpansJson(*OpenJournal(g), PageOf(*o)));
    Emit(*o, json, inspect::OpenSpansText(json));
  });
}

void RegisterPayload(CLI::App* inspect, const GlobalOptions& g) {
  auto o = std::make_shared<ViewOptions>();
  auto out = std::make_shared<std::string>();
  auto* cmd = inspect->add_subcommand("payload", "Exactly the batches the next replay would send");
  AddViewOptions(cmd, *o, {"table", "json"});
  cmd->add_option("--out", *out, "Write batch-NNNN.body (wire bytes) and .ndjson files here");
  cmd->callback([o, out, &g] {
    inspect::PayloadOptions p = PayloadOptionsFor(g);
    p.filter = FilterOf(*o);
    p.out_dir = *out;
    auto journal = OpenJournal(g);
    Status st = o->format == "json" ? inspect::WritePayloadJson(*journal, p, std::cout)
                                    : inspect::WritePayloadText(*journal, p, std::cout);
    if (!st.ok()) Fail(st);
  });
}

void RegisterReport(CLI::App* inspect, const GlobalOptions& g) {
  auto file = std::make_shared<std::string>();
  auto* cmd = inspect->add_subcommand("report", "A self-contained HTML audit report");
  cmd->add_option("--html", *file, "Output file")->required();
  cmd->callback([file, &g] {
    std::ofstream out(*file, std::ios::binary | std::ios::trunc);
    if (!out) throw Failure(kExitIoErr, *file + ": cannot write");
    Status st =
        inspect::WriteHtmlReport(*OpenJournal(g), *OpenRegistry(g), PayloadOptionsFor(g), out);
    if (!st.ok()) Fail(st);
    std::cout << "wrote " << *file << "\n";
  });
}

}  // namespace

void RegisterInspectViews(CLI::App* inspect, const GlobalOptions& g) {
  RegisterLedger(inspect, g);
  RegisterExplain(inspect, g);
  RegisterHash(inspect, g);
  RegisterOpenSpans(inspect, g);
  RegisterPayload(inspect, g);
  RegisterReport(inspect, g);
}

}  // namespace glassbox::cli
