// export, import, keygen: carrying events across an air gap (replay/BUNDLE.md).
#include <iostream>

#include "cli/cli.h"
#include "replay/bundle_replay.h"

namespace glassbox::cli {
namespace {

struct ExportFlags {
  std::string out, sign, filter;
  bool all = false;
  std::optional<int> level;  // unset: level 3, and sealed blocks keep their stored frames
  std::optional<int64_t> max_bytes;
};

struct ImportFlags {
  std::string file;
  VerifyFlags verify;
};

replay::Pkey LoadKey(const std::string& path, bool private_key) {
  auto key = private_key ? replay::LoadPrivateKey(path) : replay::LoadPublicKey(path);
  if (!key.ok()) Fail(key.status());
  return std::move(key.value());
}

void RunExport(const GlobalOptions& g, const ExportFlags& f) {
  replay::ExportOptions o;
  o.out_path = f.out;
  o.all = f.all;
  if (f.level) {
    o.level = *f.level;
    o.keep_block_frames = false;
  }
  auto filter = replay::EventFilter::Parse(f.filter);
  if (!filter.ok()) Fail(filter.status());
  o.filter = filter.value();
  replay::Pkey key;
  if (!f.sign.empty()) key = LoadKey(f.sign, true);
  o.sign_key = key.get();
  // Written to be read back with the readers' limit: by default the same [bundle] max_bytes.
  if (auto v = f.max_bytes ? f.max_bytes
                           : LoadReplayConfig(g, replay::EndpointCheck::kSkip).bundle.max_bytes)
    o.max_bytes = *v;
  auto journal = OpenJournal(g);
  bool complete = true;
  auto m = replay::ExportBundle(*journal, o, &complete);
  if (!m.ok()) Fail(m.status());
  std::cout << "exported " << m->event_count << " event(s) to " << f.out << " ("
            << (m->signed_by.empty() ? "unsigned" : "signed by key " + m->signed_by) << ")\n";
  if (!complete) {
    throw Failure(kExitTempFail, "more events remain: the bundle reached max_bytes (" +
                                     std::to_string(o.max_bytes) +
                                     "); export again to a new file to carry them");
  }
}

void RunImport(const GlobalOptions& g, const ImportFlags& f) {
  replay::Bundle bundle = ReadBundleFile(g, f.file, &f.verify);
  auto journal = OpenJournal(g);
  auto report = replay::ImportBundle(std::move(bundle), *journal, {f.file});
  if (!report.ok()) Fail(report.status());
  std::cout << "imported " << report->added << " new event(s) from " << f.file << "; "
            << report->present << " already present\n";
}

void RunKeygen(const std::string& out) {
  Status st = replay::GenerateKeyPair(out);
  if (!st.ok()) Fail(st);
  std::string id = replay::KeyId(LoadKey(out + ".pub", false).get());
  std::cout << "wrote " << out << " (private key, mode 0600) and " << out
            << ".pub (public key)\nkey id " << id << "\n";
}

}  // namespace

Result<replay::ReplayResult> ReplayBundleFile(const GlobalOptions& g, const std::string& path,
                                              const VerifyFlags& verify,
                                              const replay::Config& config,
                                              const replay::ReplayOptions& options) {
  replay::Bundle bundle = ReadBundleFile(g, path, &verify);
  auto journal = OpenJournal(g);
  auto r =
      replay::ReplayBundle(std::move(bundle), path, *journal, g.JournalPath(), config, options, {});
  if (!r.ok()) return r.status();
  replay::ReplayResult out = r->replay;
  if (r->complete && !r->already_delivered && !options.dry_run) {
    out.message += std::string(out.message.empty() ? "" : "; ") + "bundle delivered";
  }
  return out;
}

void RegisterBundle(CLI::App& app, GlobalOptions& g) {
  auto e = std::make_shared<ExportFlags>();
  auto* exp = app.add_subcommand("export",
                                 "Write pending events to a bundle file and mark them "
                                 "exported");
  exp->add_option("--out,-o", e->out, "The bundle file to create (by convention *.gbx)")
      ->required();
  exp->add_option("--sign", e->sign, "Sign with this Ed25519 private key (from keygen)");
  exp->add_option("--filter", e->filter,
                  "Only matching events: schema=NAME,phase=P,state=S,since=T,until=T");
  exp->add_flag("--all", e->all, "Also events already sent or exported (never local ones)");
  exp->add_option("--level", e->level,
                  "Compress every event at this zstd level: 3 is fast, 9 about 11% smaller and "
                  "four times slower, 19 smallest (default: sealed blocks keep their stored "
                  "frames, the other events are compressed at 3)")
      ->check(CLI::Range(1, 19));
  exp->add_option("--max-bytes", e->max_bytes,
                  "Stop the bundle short of this many decompressed bytes; the rest stay for the "
                  "next export (default: [bundle] max_bytes, 256MiB, what readers accept)")
      ->transform(CLI::AsSizeValue(true));
  exp->callback([e, &g] { RunExport(g, *e); });

  auto i = std::make_shared<ImportFlags>();
  auto* imp = app.add_subcommand("import", "Merge a bundle's events into the journal");
  imp->add_option("file", i->file, "The bundle file")->required();
  i->verify.Register(imp);
  g.bundle_limits.Register(imp);
  imp->callback([i, &g] { RunImport(g, *i); });

  auto k = std::make_shared<std::string>();
  auto* key = app.add_subcommand("keygen", "Create an Ed25519 key pair for signing bundles");
  key->add_option("--out,-o", *k, "Private key file; the public key goes to FILE.pub")->required();
  key->callback([k] { RunKeygen(*k); });
}

}  // namespace glassbox::cli
