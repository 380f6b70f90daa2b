// replay: send pending events when consent and policy permit. Exit codes for cron: 0 sent or
// nothing due, 75 deferred or transient, 1 a person must act (see README "Replay").
#include <unistd.h>

#include <iostream>

#include "base/ids.h"
#include "cli/cli.h"
#include "replay/run.h"

namespace glassbox::cli {
namespace {

struct ReplayCliOptions {
  bool dry_run = false, explain = false, no_jitter = false, verbose = false;
  std::string format = "text";
  std::string bundle;  // --bundle FILE: upload a bundle's events instead of the journal's
  VerifyFlags verify;
};

int ExitCodeFor(replay::Outcome o) {
  switch (o) {
    case replay::Outcome::kDone:
      return kExitOk;
    case replay::Outcome::kDeferred:
    case replay::Outcome::kTransient:
      return kExitTempFail;
    case replay::Outcome::kNeedsPerson:
      return kExitError;
  }
  return kExitError;
}

nlohmann::ordered_json ResultJson(const replay::ReplayResult& r, bool dry_run) {
  nlohmann::ordered_json j;
  j["outcome"] = replay::OutcomeName(r.outcome);
  j["dry_run"] = dry_run;
  j["message"] = r.message;
  j["batches"] = r.upload.batches;
  j["events"] = r.upload.events;
  j["body_bytes"] = r.upload.body_bytes;
  j["wire_bytes"] = r.upload.wire_bytes;
  j["retention_dropped"] = r.retention.dropped;
  j["retention_sent_pruned"] = r.retention.sent_pruned;
  j["next_allowed"] = r.next_allowed ? nlohmann::ordered_json(base::Rfc3339(*r.next_allowed))
                                     : nlohmann::ordered_json();
  return j;
}

nlohmann::ordered_json ExplainJson(const replay::Explanation& e) {
  nlohmann::ordered_json j;
  j["would_upload"] = e.would_upload;
  j["verdict"] = e.verdict;
  j["consent"] = journal::ConsentName(e.consent);
  j["consent_forced"] = e.consent_forced;
  j["pending"] = e.pending;
  j["local"] = e.local;
  j["blocked_by"] = replay::RuleName(e.decision.blocked_by);
  j["next_allowed"] = base::Rfc3339(e.decision.next_allowed);
  j["interrupted_batch"] = e.inflight.has_value();
  return j;
}

void PrintProgress(const replay::Progress& p) {
  std::cerr << "\rsent " << p.events_sent << "/" << p.events_total << " events, " << p.wire_bytes
            << " bytes" << std::flush;
}

void RunExplain(const ReplayCliOptions& o, const GlobalOptions& g) {
  replay::Config config = LoadReplayConfig(g);
  auto journal = OpenJournal(g);
  auto e = replay::Explain(*journal, config, {});
  if (!e.ok()) Fail(e.status());
  if (o.format == "json") {
    std::cout << ExplainJson(e.value()).dump(2) << "\n";
  } else {
    std::cout << replay::ExplanationText(e.value(), config);
  }
}

void RunUpload(const ReplayCliOptions& o, const GlobalOptions& g) {
  replay::Config config = LoadReplayConfig(g);
  bool tty = ::isatty(STDERR_FILENO) == 1;
  replay::ReplayOptions options{o.dry_run, o.no_jitter, nullptr};
  if (tty) options.progress = PrintProgress;
  auto result = o.bundle.empty()
                    ? replay::RunReplay(*OpenJournal(g), g.JournalPath(), config, options, {})
                    : ReplayBundleFile(g, o.bundle, o.verify, config, options);
  if (tty && result.ok() && result.value().upload.batches > 0) std::cerr << "\n";
  if (!result.ok()) {
    if (result.status().code() == StatusCode::kInvalidArgument) {
      throw Failure(kExitError, result.status().message());  // a header that cannot be read
    }
    Fail(result.status());
  }
  const replay::ReplayResult& r = result.value();
  int code = ExitCodeFor(r.outcome);
  if (o.format == "json") {
    std::cout << ResultJson(r, o.dry_run).dump(2) << "\n";
  } else if (code == kExitError || tty || o.verbose) {
    // Quiet under cron unless a person must act: cron mails whatever is printed.
    std::string summary = std::string(o.dry_run ? "dry run: would send " : "sent ") +
                          std::to_string(r.upload.events) + " event(s) in " +
                          std::to_string(r.upload.batches) + " batch(es), " +
                          std::to_string(r.upload.wire_bytes) + " bytes";
    if (r.upload.batches == 0 && !r.message.empty())
      summary = r.message;
    else if (!r.message.empty())
      summary += "; " + r.message;
    (code == kExitOk ? std::cout : std::cerr) << "glassbox replay: " << summary << "\n";
  }
  if (code != kExitOk) throw Failure(code, "");
}

}  // namespace

replay::Config LoadReplayConfig(const GlobalOptions& g, replay::EndpointCheck endpoint) {
  bool named = !g.config.empty();
  auto config = replay::LoadConfig(named ? g.config : replay::DefaultConfigPath(), named, endpoint);
  // A broken or missing named config needs a person, whatever the Status kind.
  if (!config.ok()) throw Failure(kExitError, config.status().message());
  return config.value();
}

void RegisterReplay(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<ReplayCliOptions>();
  auto* cmd = app.add_subcommand("replay", "Upload pending events when consent and policy permit");
  cmd->add_flag("--dry-run", o->dry_run, "Build and compress every batch; send and change nothing");
  cmd->add_flag("--explain", o->explain,
                "Say whether an upload would run now and why (no network)");
  cmd->add_flag("--no-jitter", o->no_jitter, "Skip the random start delay (for runs by hand)");
  cmd->add_flag("-v,--verbose", o->verbose, "Print the outcome even when not on a terminal");
  cmd->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  auto* bundle = cmd->add_option("--bundle", o->bundle,
                                 "Upload this bundle's events (from export) instead of the "
                                 "journal's, under this machine's consent and policy")
                     ->check(CLI::ExistingFile);
  bundle->excludes(cmd->get_option("--explain"));
  o->verify.Register(cmd);
  g.bundle_limits.Register(cmd);
  cmd->footer(
      "Exit codes: 0 sent everything due (or nothing was due); 75 deferred by policy or a\n"
      "transient failure (events kept, try later); 1 a person must act (config, TLS, 4xx).");
  cmd->callback([o, &g] { o->explain ? RunExplain(*o, g) : RunUpload(*o, g); });
}

}  // namespace glassbox::cli
