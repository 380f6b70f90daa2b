#pragma once
// The TOML configuration read by replay (and by anything else that needs the upload policy).
// Every key, its type and its default are listed in README.md ("Replay and upload policy");
// unknown keys and bad values are errors that name the key, never its value.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glassbox/status.h"
#include "replay/payload.h"

namespace glassbox::replay {

using Millis = std::chrono::milliseconds;

// A daily window in local time, [start, end) in minutes after midnight. end <= start means
// the window crosses midnight ("22:00-02:00").
struct Window {
  int start_minute = 0;
  int end_minute = 0;
  bool operator==(const Window&) const = default;
};

// One extra request header. `source` says where its value comes from; the value itself is
// read only when a request is built, and is never logged or printed.
struct HeaderSpec {
  enum class Source { kLiteral, kEnv, kFile };
  std::string name;
  Source source = Source::kLiteral;
  std::string ref;  // the literal value, the variable name, or the file path
};

struct UploadPolicy {
  std::string endpoint;         // empty: replay has nowhere to send (a config error)
  std::vector<Window> windows;  // empty: any time
  Millis min_interval{0};       // between successful runs; 0 = none
  // A level-2 block of the journal (4,096 events, ~2.7 MB of text for ~660-byte events) fits,
  // so it travels in its own stored frame (replay/WIRE.md, "Batches").
  int64_t max_batch_events = 4096;
  int64_t max_batch_bytes = 4 << 20;
  int64_t max_bytes_per_run = 50ll << 20;  // compressed (wire) bytes
  Compression compression = Compression::kZstd;
  Millis connect_timeout{10'000};
  Millis timeout{60'000};
  std::string ca_file;  // empty: the system's CA store
  Millis jitter{0};
  Millis backoff_base{60'000};             // first delay after a transient failure
  Millis backoff_max{6 * 3'600'000};       // the schedule's ceiling
  Millis max_retry_after{24 * 3'600'000};  // a collector cannot silence a fleet for longer
  std::vector<HeaderSpec> headers;
  bool allow_insecure_http = false;
};

struct RetentionPolicy {
  Millis max_age{90ll * 86'400'000};        // events older than this are dropped; 0 = keep
  int64_t max_journal_bytes = 256ll << 20;  // oldest blocks dropped beyond this; 0 = no limit
  Millis keep_sent{7ll * 86'400'000};       // sent events kept this long for inspect; 0 = forever
};

// [bundle]: defaults for reading bundles (import, inspect FILE.gbx, replay --bundle); command
// line flags override them. Unset limits keep the built-in ones (replay/BUNDLE.md).
struct BundleSettings {
  std::optional<int64_t> max_bytes, max_line_bytes, max_window_log;
  std::string verify_key;          // a public key file: verify signatures with it
  bool require_signature = false;  // refuse unsigned bundles; REQUIRES: verify_key
};

struct Config {
  UploadPolicy upload;
  RetentionPolicy retention;
  BundleSettings bundle;
  std::string source;  // the file it came from, "" for built-in defaults
};

// Checking upload.endpoint takes libcurl's URL parser (the transport's own, so both read a
// URL alike), and libcurl is loaded only for uploads (replay/curl_api.h). Commands that never
// upload (import, export, inspect) read the config without that one check.
enum class EndpointCheck { kCheck, kSkip };

// Parses TOML text; `source` names the file in error messages.
Result<Config> ParseConfig(std::string_view text, const std::string& source,
                           EndpointCheck endpoint = EndpointCheck::kCheck);
// Reads `path`. A missing file gives the defaults when `must_exist` is false (the default
// path), and an error when true (a path the user named).
Result<Config> LoadConfig(const std::string& path, bool must_exist,
                          EndpointCheck endpoint = EndpointCheck::kCheck);
// $XDG_CONFIG_HOME/glassbox/config.toml
std::string DefaultConfigPath();

// "250ms", "10s", "15m", "6h", "7d" (also combined: "1h30m"); "0" means zero. At most
// kMaxDuration.
inline constexpr Millis kMaxDuration = std::chrono::hours(24 * 36'500);  // 100 years
std::optional<Millis> ParseDuration(std::string_view text);
// "512", "64KiB", "1MiB", "2GiB" (also KB/MB/GB as powers of 1000).
std::optional<int64_t> ParseSize(std::string_view text);
// "01:00-05:00"; "00:00-24:00" is the whole day.
std::optional<Window> ParseWindow(std::string_view text);
std::string FormatDuration(Millis d);  // "6h", "1h30m", "250ms", "0s"
std::string FormatWindow(const Window& w);

// Checks scheme and host: https anywhere; http only to a loopback host unless allowed.
Status CheckEndpoint(const std::string& endpoint, bool allow_insecure_http);
// The header values, read now from literals, the environment or files. Errors name the
// header and the variable or file, never a value.
Result<std::vector<std::pair<std::string, std::string>>> ResolveHeaders(
    const std::vector<HeaderSpec>& headers);

}  // namespace glassbox::replay
