#pragma once
// Shared pieces of the glassbox command line: global options, exit codes, and the one
// exception type that carries a failure to main().
#include <CLI/CLI.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "glassbox/recorder.h"
#include "glassbox/status.h"
#include "journal/journal.h"
#include "replay/bundle.h"
#include "replay/config.h"
#include "replay/run.h"
#include "schema/schema.h"

namespace glassbox::cli {

// Exit codes (sysexits.h where one fits); documented in README.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;      // needs a person: bad config, TLS, permanent 4xx
inline constexpr int kExitUsage = 64;     // EX_USAGE
inline constexpr int kExitDataErr = 65;   // EX_DATAERR: an event or file was refused
inline constexpr int kExitNoInput = 66;   // EX_NOINPUT: a named file does not exist
inline constexpr int kExitIoErr = 74;     // EX_IOERR: the journal could not be read/written
inline constexpr int kExitTempFail = 75;  // EX_TEMPFAIL: deferred or transient; try later

struct Failure : std::runtime_error {
  Failure(int code, const std::string& message) : std::runtime_error(message), code(code) {}
  int code;
};

// Maps a Status to the exit code a script should see, and throws it.
[[noreturn]] void Fail(const Status& status);
int ExitCodeFor(StatusCode code);

struct GlobalOptions;

// Bundle reading limits from the command line (--max-bytes, --max-line-bytes,
// --max-window-log); what is not given comes from the config's [bundle] section, then the
// defaults in replay/bundle.h.
struct BundleLimitFlags {
  std::optional<int64_t> max_bytes, max_line_bytes;
  std::optional<int> window_log_max;
  void Register(CLI::App* cmd);
  replay::BundleLimits Resolve(const GlobalOptions& g) const;
};

// --verify-key PUB and --require-signature (defaults: [bundle] verify_key, require_signature).
struct VerifyFlags {
  std::string verify_key;
  bool require_signature = false;
  void Register(CLI::App* cmd);
};

struct GlobalOptions {
  std::string journal;  // --journal / GLASSBOX_JOURNAL
  std::string schemas;  // --schemas / GLASSBOX_SCHEMAS
  std::string config;   // --config / GLASSBOX_CONFIG
  // `inspect FILE.gbx`: OpenJournal then gives the bundle, verified, loaded into a private
  // in-memory journal, so every inspect view reads a bundle as it reads a journal.
  std::string bundle;
  BundleLimitFlags bundle_limits;
  std::string JournalPath() const;
};

std::unique_ptr<Recorder> OpenRecorder(const GlobalOptions& g);
std::unique_ptr<journal::Journal> OpenJournal(const GlobalOptions& g, bool read_only = false);
// Reads and checks a bundle (limits from `g`), and its signature as `verify` asks (none:
// reported, not checked); warns on stderr about an unsigned or unverified bundle when
// `verify` is given. Refusals exit 65. `on_event`: see replay::ReadOptions.
replay::Bundle ReadBundleFile(
    const GlobalOptions& g, const std::string& path, const VerifyFlags* verify = nullptr,
    std::function<Status(std::string_view line, int64_t recorded_ms)> on_event = nullptr);
// replay --bundle FILE: the bundle uploaded under this machine's consent, config and state.
Result<replay::ReplayResult> ReplayBundleFile(const GlobalOptions& g, const std::string& path,
                                              const VerifyFlags& verify,
                                              const replay::Config& config,
                                              const replay::ReplayOptions& options);
// The bundle as a private in-memory journal (nothing is written to disk), staged and
// compressed as its lines are read, so memory follows the compressed size.
std::unique_ptr<journal::Journal> OpenBundleAsJournal(const GlobalOptions& g,
                                                      const std::string& path);
std::unique_ptr<schema::Registry> OpenRegistry(const GlobalOptions& g);

// Registration functions, one per subcommand file.
void RegisterRecord(CLI::App& app, const GlobalOptions& g);
void RegisterSpans(CLI::App& app, const GlobalOptions& g);
void RegisterInspect(CLI::App& app, GlobalOptions& g);
void RegisterInspectPrivacy(CLI::App& inspect, const GlobalOptions& g);  // from RegisterInspect
void RegisterSchema(CLI::App& app, const GlobalOptions& g);
void RegisterReplay(CLI::App& app, GlobalOptions& g);
// --config / GLASSBOX_CONFIG, else the default path (absent: defaults). Exit 1 when broken.
replay::Config LoadReplayConfig(const GlobalOptions& g,
                                replay::EndpointCheck endpoint = replay::EndpointCheck::kCheck);
void RegisterConsent(CLI::App& app, const GlobalOptions& g);
void RegisterPurge(CLI::App& app, const GlobalOptions& g);
void RegisterDoctor(CLI::App& app, const GlobalOptions& g);
void RegisterBundle(CLI::App& app, GlobalOptions& g);  // export, import, keygen

}  // namespace glassbox::cli
