// doctor: is the journal healthy, private and consented; what did recovery do.
//
// Runs the deep check (integrity_check, every block's checksum, every row). A damaged
// journal is recovered (moved aside, salvaged, started fresh) unless --no-repair. Exit 0 when
// the journal is healthy now, 74 when it is damaged and was not repaired.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "journal/consent.h"
#include "journal/recovery.h"

namespace glassbox::cli {
namespace {

struct DoctorOptions {
  std::string format = "text";
  bool no_repair = false;
};

struct FileInfo {
  std::string name;
  unsigned mode = 0;
  int64_t bytes = 0;
};

struct Findings {
  std::string path;
  bool exists = false;
  journal::DeepCheckResult check;
  std::vector<journal::RecoveryReport> repaired_now;
  std::vector<FileInfo> files, set_aside;
  unsigned dir_mode = 0;
  std::string consent, consent_source;
  journal::StateCounts states;
  int64_t open_spans = 0;
  std::map<std::string, int64_t> counters;
  std::vector<journal::LedgerEntry> recoveries;
};

std::string Octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

// The journal's files and the damaged files set aside next to it.
void ListFiles(Findings* f) {
  std::string dir = f->path.substr(0, f->path.find_last_of('/') + 1);
  std::string base = f->path.substr(dir.size());
  struct stat st {};
  if (::stat(dir.empty() ? "." : dir.c_str(), &st) == 0) f->dir_mode = st.st_mode;
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(base, 0) != 0) continue;
    if (::lstat((dir + name).c_str(), &st) != 0) continue;
    FileInfo info{name, static_cast<unsigned>(st.st_mode), static_cast<int64_t>(st.st_size)};
    bool aside = name.find(".corrupt-") != std::string::npos;
    (aside ? f->set_aside : f->files).push_back(info);
  }
  ::closedir(d);
  for (auto* v : {&f->files, &f->set_aside}) {
    std::sort(v->begin(), v->end(), [](auto& a, auto& b) { return a.name < b.name; });
  }
}

void ReadConsent(const journal::Journal& j, Findings* f) {
  f->consent = journal::ConsentName(journal::EffectiveConsent(j));
  if (journal::ConsentFromEnvironment()) {
    f->consent_source = "environment (DO_NOT_TRACK or GLASSBOX_CONSENT)";
  } else {
    f->consent_source = j.GetMeta("consent").ok() ? "stored in the journal" : "default";
  }
}

void ReadCounts(const journal::Journal& j, Findings* f) {
  if (auto states = j.CountStates(); states.ok()) f->states = states.value();
  (void)j.ListSpans([f](const journal::OpenSpan&) { return ++f->open_spans > 0; });
  (void)j.ListCounters([f](std::string_view name, int64_t v) {
    f->counters[std::string(name)] = v;
    return true;
  });
  (void)j.ListLedger([f](const journal::LedgerEntry& e) {
    if (e.kind == "recovery") f->recoveries.push_back(e);
    return true;
  });
}

// Opens (recovering damage found at open), deep-checks, and recovers damage found there.
std::unique_ptr<journal::Journal> CheckAndRepair(const journal::Options& o, bool repair,
                                                 Findings* f) {
  journal::RecoveryReport report;
  auto j = repair ? journal::OpenOrRecover(o, &report) : journal::Journal::Open(o);
  if (!report.reason.empty()) f->repaired_now.push_back(report);
  if (!j.ok()) {
    if (!journal::IsDamage(j.status())) Fail(j.status());
    f->check.problem = j.status().message();
    return nullptr;
  }
  Status st = journal::DeepCheck(*j.value(), &f->check);
  if (!st.ok()) Fail(st);
  if (f->check.ok() || !repair) return std::move(j.value());
  std::string problem =
      f->check.integrity != "ok" ? "integrity_check: " + f->check.integrity : f->check.problem;
  journal::FileId judged = journal::FileId::Of(j.value()->path());
  j.value()->Abandon();
  j.value().reset();
  st = journal::Recover(o, problem, judged, &report);
  if (!st.ok()) Fail(st);
  f->repaired_now.push_back(report);
  auto fresh = journal::Journal::Open(o);
  if (!fresh.ok()) Fail(fresh.status());
  st = journal::DeepCheck(*fresh.value(), &f->check);
  if (!st.ok()) Fail(st);
  return std::move(fresh.value());
}

nlohmann::ordered_json FileJson(const FileInfo& i) {
  return {{"name", i.name},
          {"mode", Octal(i.mode)},
          {"bytes", i.bytes},
          {"private", (i.mode & 077) == 0}};
}

nlohmann::ordered_json ToJson(const Findings& f) {
  nlohmann::ordered_json j;
  j["journal"] = f.path;
  j["exists"] = f.exists;
  j["healthy"] = f.check.ok();
  j["integrity_check"] = f.check.integrity;
  j["problem"] = f.check.problem;
  j["blocks"] = f.check.blocks;
  j["events_checked"] = f.check.events;
  j["repaired_now"] = nlohmann::ordered_json::array();
  for (const auto& r : f.repaired_now) {
    j["repaired_now"].push_back({{"reason", r.reason},
                                 {"moved_to", r.moved_to},
                                 {"salvaged_events", r.salvaged_events},
                                 {"unreadable", r.unreadable},
                                 {"meta_salvaged", r.meta_salvaged}});
  }
  j["directory_mode"] = Octal(f.dir_mode);
  j["files"] = nlohmann::ordered_json::array();
  for (const auto& i : f.files) j["files"].push_back(FileJson(i));
  j["set_aside"] = nlohmann::ordered_json::array();
  for (const auto& i : f.set_aside) j["set_aside"].push_back(FileJson(i));
  j["consent"] = {{"effective", f.consent}, {"source", f.consent_source}};
  j["events"] = {{"total", f.states.total()},
                 {"pending", f.states.pending},
                 {"sent", f.states.sent},
                 {"exported", f.states.exported},
                 {"local", f.states.local}};
  j["open_spans"] = f.open_spans;
  j["counters"] = f.counters;
  j["recoveries"] = nlohmann::ordered_json::array();
  for (const auto& e : f.recoveries) {
    j["recoveries"].push_back({{"at", e.at},
                               {"moved_to", e.destination},
                               {"salvaged_events", e.events},
                               {"summary", e.result}});
  }
  return j;
}

void PrintText(const Findings& f) {
  std::cout << "journal     " << f.path << "\n";
  if (!f.exists) {
    std::cout << "            does not exist yet (created by the first record)\n";
    return;
  }
  std::cout << "check       "
            << (f.check.ok() ? "ok"
                             : "DAMAGED: " +
                                   (f.check.problem.empty() ? f.check.integrity : f.check.problem));
  if (!f.check.integrity.empty()) {
    std::cout << " (integrity_check " << f.check.integrity << "; " << f.check.blocks << " blocks, "
              << f.check.events << " events read)";
  }
  std::cout << "\n";
  for (const auto& r : f.repaired_now) std::cout << "repaired    " << r.Summary() << "\n";
  std::cout << "files       directory " << Octal(f.dir_mode)
            << ((f.dir_mode & 077) ? " (warning: not private; chmod 700)" : "") << "\n";
  for (const auto& i : f.files) {
    std::cout << "            " << i.name << " " << Octal(i.mode) << " " << i.bytes << " bytes"
              << ((i.mode & 077) ? " (warning: not private; chmod 600)" : "") << "\n";
  }
  if (f.consent.empty()) {
    std::cout << "consent     unknown: the journal cannot be read\n";
  } else {
    std::cout << "consent     " << f.consent << " (" << f.consent_source << ")\n";
    std::cout << "events      " << f.states.total() << " (pending " << f.states.pending << ", sent "
              << f.states.sent << ", exported " << f.states.exported << ", local " << f.states.local
              << "); open spans " << f.open_spans << "\n";
  }
  for (const auto& [name, v] : f.counters) std::cout << "counter     " << name << " " << v << "\n";
  for (const auto& e : f.recoveries) std::cout << "recovery    " << e.at << " " << e.result << "\n";
  for (const auto& i : f.set_aside) {
    std::cout << "set aside   " << i.name << " " << Octal(i.mode) << " " << i.bytes << " bytes\n";
  }
}

void RunDoctor(const GlobalOptions& g, const DoctorOptions& o) {
  Findings f;
  f.path = g.JournalPath();
  struct stat st {};
  f.exists = ::stat(f.path.c_str(), &st) == 0;
  std::unique_ptr<journal::Journal> j;
  if (f.exists) {
    journal::Options jo;
    jo.path = f.path;
    j = CheckAndRepair(jo, !o.no_repair, &f);
  }
  if (j) {
    ReadConsent(*j, &f);
    ReadCounts(*j, &f);
  }
  ListFiles(&f);
  if (o.format == "json") {
    // Names read from a damaged file may hold invalid UTF-8: replace, never throw.
    std::cout << ToJson(f).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    PrintText(f);
  }
  if (f.exists && !f.check.ok()) {
    throw Failure(kExitIoErr, "journal " + f.path +
                                  " is damaged; run glassbox doctor "
                                  "without --no-repair to recover it");
  }
}

}  // namespace

void RegisterDoctor(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<DoctorOptions>();
  auto* cmd = app.add_subcommand("doctor", "Check the journal; recover it if it is damaged");
  cmd->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--no-repair", o->no_repair, "Only report; do not move a damaged journal aside");
  cmd->callback([o, &g] { RunDoctor(g, *o); });
}

}  // namespace glassbox::cli
