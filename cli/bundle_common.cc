// Reading bundles from the command line: limits, verification, and the bundle served as a
// journal to inspect.
#include <climits>
#include <iostream>

#include "cli/cli.h"

namespace glassbox::cli {

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

replay::BundleLimits BundleLimitFlags::Resolve(const GlobalOptions&) const {
  replay::BundleLimits limits;
  if (max_bytes) limits.max_bytes = *max_bytes;
  if (max_line_bytes) limits.max_line_bytes = *max_line_bytes;
  if (window_log_max) limits.window_log_max = *window_log_max;
  return limits;
}

replay::Bundle ReadBundleFile(const GlobalOptions& g, const std::string& path, EVP_PKEY* verify_key,
                              bool require_signature) {
  auto registry = OpenRegistry(g);
  replay::ReadOptions o;
  o.registry = registry.get();
  o.limits = g.bundle_limits.Resolve(g);
  o.verify_key = verify_key;
  o.require_signature = require_signature;
  auto bundle = replay::ReadBundle(path, o);
  if (!bundle.ok()) Fail(bundle.status());
  return std::move(bundle.value());
}

std::unique_ptr<journal::Journal> OpenBundleAsJournal(const GlobalOptions& g,
                                                      const std::string& path) {
  replay::Bundle bundle = ReadBundleFile(g, path);
  const replay::Manifest& m = bundle.manifest;
  // On stderr, so that --format json output stays one JSON document.
  std::cerr << "bundle " << path << ": " << m.event_count << " event(s) from install "
            << m.source_install_id << ", created " << m.created_at << ", "
            << (m.signed_by.empty() ? "unsigned"
                                    : "signed by key " + m.signed_by + " (not verified here)")
            << "\n";
  journal::Options o;
  o.path = ":memory:";      // SQLite's private in-memory database: nothing touches the disk
  o.seal_events = INT_MAX;  // a view needs no compressed blocks
  auto j = journal::Journal::Open(o);
  if (!j.ok()) Fail(j.status());
  Status st = replay::StageBundle(bundle, *j.value());
  if (!st.ok()) Fail(st);
  return std::move(j.value());
}

}  // namespace glassbox::cli
