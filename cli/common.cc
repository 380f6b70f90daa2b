#include <cstdlib>

#include <iostream>

#include "cli/cli.h"
#include "journal/recovery.h"

namespace glassbox::cli {

int ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kInvalidEvent:
    case StatusCode::kSchemaError:
      return kExitDataErr;
    case StatusCode::kNotFound:
      return kExitNoInput;
    case StatusCode::kIoError:
    case StatusCode::kCorruption:
      return kExitIoErr;
    case StatusCode::kBusy:
    case StatusCode::kTransient:
    case StatusCode::kPolicyDenied:
      return kExitTempFail;
    case StatusCode::kPermanent:
      return kExitError;
  }
  return kExitError;
}

void Fail(const Status& status) {
  std::string message = status.message();
  if (status.code() == StatusCode::kCorruption) {
    message += " (run glassbox doctor: it moves the damaged journal aside and salvages it)";
  }
  throw Failure(ExitCodeFor(status.code()), message);
}

std::string GlobalOptions::JournalPath() const {
  if (!journal.empty()) return journal;
  const char* env = std::getenv("GLASSBOX_JOURNAL");
  return env && *env ? env : journal::DefaultJournalPath();
}

std::unique_ptr<Recorder> OpenRecorder(const GlobalOptions& g) {
  RecorderOptions o;
  o.journal_path = g.JournalPath();
  o.schema_dir = g.schemas;
  o.app_name = "glassbox-cli";
  o.app_version = Version();
  auto r = Recorder::Open(o);
  if (!r.ok()) Fail(r.status());
  return std::move(r.value());
}

std::unique_ptr<journal::Journal> OpenJournal(const GlobalOptions& g, bool read_only) {
  if (!g.bundle.empty()) return OpenBundleAsJournal(g, g.bundle);
  journal::Options o;
  o.path = g.JournalPath();
  o.read_only = read_only;
  journal::RecoveryReport report;
  auto j = journal::OpenOrRecover(o, &report);
  if (!report.reason.empty())
    std::cerr << "glassbox: warning: journal " << report.Summary() << "\n";
  if (!j.ok()) Fail(j.status());
  return std::move(j.value());
}

std::unique_ptr<schema::Registry> OpenRegistry(const GlobalOptions& g) {
  auto r = schema::Registry::Open(g.schemas);
  if (!r.ok()) Fail(r.status());
  return std::move(r.value());
}

}  // namespace glassbox::cli
