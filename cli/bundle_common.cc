// Reading bundles from the command line: limits, verification, and the bundle served as a
// journal to inspect.
#include <exception>
#include <iostream>
#include <optional>

#include "cli/cli.h"

namespace glassbox::cli {
namespace {

replay::Pkey LoadPublicKey(const std::string& path) {
  auto key = replay::LoadPublicKey(path);
  if (!key.ok()) Fail(key.status());
  return std::move(key.value());
}

}  // namespace

void BundleLimitFlags::Register(CLI::App* cmd) {
  cmd->add_option("--max-bytes", max_bytes,
                  "Refuse a bundle that decompresses to more (default 256MiB)")
      ->transform(CLI::AsSizeValue(true));
  cmd->add_option("--max-line-bytes", max_line_bytes,
                  "Refuse a bundle with a longer line (default 1MiB)")
      ->transform(CLI::AsSizeValue(true));
  cmd->add_option("--max-window-log", window_log_max,
                  "Refuse zstd windows larger than 2^N bytes (default 23)");
}

replay::BundleLimits BundleLimitFlags::Resolve(const GlobalOptions& g) const {
  replay::BundleSettings config = LoadReplayConfig(g, replay::EndpointCheck::kSkip).bundle;
  replay::BundleLimits limits;
  if (auto v = max_bytes ? max_bytes : config.max_bytes) limits.max_bytes = *v;
  if (auto v = max_line_bytes ? max_line_bytes : config.max_line_bytes) {
    limits.max_line_bytes = *v;
  }
  if (window_log_max) {
    limits.window_log_max = *window_log_max;
  } else if (config.max_window_log) {
    limits.window_log_max = static_cast<int>(*config.max_window_log);
  }
  return limits;
}

void VerifyFlags::Register(CLI::App* cmd) {
  cmd->add_option("--verify-key", verify_key,
                  "Verify the bundle's signature with this public key (default: [bundle] "
                  "verify_key)");
  cmd->add_flag("--require-signature", require_signature,
                "Refuse a bundle not signed by the verification key");
}

replay::Bundle ReadBundleFile(
    const GlobalOptions& g, const std::string& path, const VerifyFlags* verify,
    std::function<Status(std::string_view line, int64_t recorded_ms)> on_event) {
  auto registry = OpenRegistry(g);
  replay::ReadOptions o;
  o.on_event = std::move(on_event);
  o.registry = registry.get();
  o.limits = g.bundle_limits.Resolve(g);
  replay::Pkey key;
  if (verify) {
    replay::BundleSettings config = LoadReplayConfig(g, replay::EndpointCheck::kSkip).bundle;
    std::string key_path = verify->verify_key.empty() ? config.verify_key : verify->verify_key;
    o.require_signature = verify->require_signature || config.require_signature;
    if (o.require_signature && key_path.empty()) {
      throw Failure(kExitUsage, "--require-signature needs --verify-key PUB");
    }
    if (!key_path.empty()) key = LoadPublicKey(key_path);
    o.verify_key = key.get();
  }
  auto bundle = replay::ReadBundle(path, o);
  if (!bundle.ok()) Fail(bundle.status());
  if (verify && bundle->manifest.signature.empty()) {
    std::cerr << "glassbox: warning: " << path << " is not signed\n";
  } else if (verify && !bundle->signature_verified) {
    std::cerr << "glassbox: warning: " << path
              << " is signed but its signature was not checked (no --verify-key)\n";
  }
  return std::move(bundle.value());
}

std::unique_ptr<journal::Journal> OpenBundleAsJournal(const GlobalOptions& g,
                                                      const std::string& path) {
  journal::Options o;
  // A temporary file, unlinked at once: a bundle at the size limit staged in memory took
  // 85 MiB, and nothing is left behind either way.
  o.path = journal::kTemporaryPath;
  // Compressed for speed: the staged copy lives only as long as the view.
  o.seal_compression_level = o.merge_compression_level = 1;
  auto j = journal::Journal::Open(o);
  if (!j.ok()) Fail(j.status());
  journal::Journal& staging = *j.value();
  // Staged as the lines come, through the bulk append (whole blocks written directly, no
  // tail to seal), in one transaction. A refused bundle exits before any view runs, and the
  // staging journal goes with the process. The reader's Failure is carried out of the
  // journal's transaction and thrown after it has rolled back.
  std::optional<replay::Bundle> bundle;
  std::exception_ptr refused;
  Status staged = staging.AppendFrom([&](const journal::Journal::EventSink& add) {
    try {
      bundle = ReadBundleFile(g, path, nullptr, [&](std::string_view line, int64_t recorded_ms) {
        return add({line, journal::EventState::kPending, recorded_ms, {}});
      });
    } catch (const Failure&) {
      refused = std::current_exception();
      return Status::InvalidEvent("bundle refused");
    }
    return Status::Ok();
  });
  if (refused) std::rethrow_exception(refused);
  if (!staged.ok()) Fail(staged);
  const replay::Manifest& m = bundle->manifest;
  // On stderr, so that --format json output stays one JSON document.
  std::cerr << "bundle " << path << ": " << m.event_count << " event(s) from install "
            << m.source_install_id << ", created " << m.created_at << ", "
            << (m.signed_by.empty() ? "unsigned"
                                    : "signed by key " + m.signed_by + " (not verified here)")
            << "\n";
  return std::move(j.value());
}

}  // namespace glassbox::cli
