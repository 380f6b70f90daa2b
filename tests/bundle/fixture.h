#pragma once
// A source journal with recorded events, a registry, and helpers to build bundles by hand.
#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "glassbox/recorder.h"
#include "journal/journal.h"
#include "replay/bundle.h"
#include "schema/schema.h"

namespace glassbox::replay::testing {

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gb-bundle-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto r = schema::Registry::Open("");
    ASSERT_TRUE(r.ok()) << r.status().message();
    registry_ = std::move(r.value());
    source_ = OpenJournal("source.db");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::unique_ptr<journal::Journal> OpenJournal(const std::string& name) {
    journal::Options o;
    o.path = Path(name);
    auto j = journal::Journal::Open(o);
    EXPECT_TRUE(j.ok()) << j.status().message();
    return j.ok() ? std::move(j.value()) : nullptr;
  }

  // Records `n` events into the source journal: singles, and a started/completed pair; each
  // single has `extra_args` arguments more than one (each stored as 34 bytes: an MD5 in hex).
  void Record(int n, int extra_args = 0) {
    std::string extra;
    for (int a = 0; a < extra_args; ++a) extra += R"(",")" + std::to_string(a);
    RecorderOptions o;
    o.journal_path = Path("source.db");
    o.app_name = "bundle-test";
    auto rec = Recorder::Open(o);
    ASSERT_TRUE(rec.ok()) << rec.status().message();
    for (int i = 0; i < n; ++i) {
      std::string data = R"({"command":"run","args":["--n)" + std::to_string(i) + extra + R"("]})";
      if (i % 5 == 3 && i + 1 < n) {  // a span: two events
        auto span = (*rec)->Start("cli_event", R"({"command":"elt"})");
        ASSERT_TRUE(span.ok()) << span.status().message();
        ASSERT_TRUE(span->Complete({"success", 0, ""}).ok());
        ++i;
      } else {
        ASSERT_TRUE((*rec)->Record("cli_event", data).ok());
      }
    }
  }

  ReadOptions Reading() const {
    ReadOptions o;
    o.registry = registry_.get();
    return o;
  }

  // Exports the source's pending events to `name`; returns the manifest.
  Manifest Export(const std::string& name, EVP_PKEY* key = nullptr) {
    ExportOptions o;
    o.out_path = Path(name);
    o.sign_key = key;
    auto m = ExportBundle(*source_, o);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? m.value() : Manifest();
  }

  std::string ReadAll(const std::string& name) const;
  // The decompressed text of a bundle file (line 1 and the event lines).
  static std::string Decompress(const std::string& bytes);

  std::string dir_;
  std::unique_ptr<schema::Registry> registry_;
  std::unique_ptr<journal::Journal> source_;
};

// The event lines a bundle walks, each ending "\n" (what its manifest's digest covers).
std::string EventText(const Bundle& bundle);

// A bundle of `lines` (each ending "\n") whose manifest says exactly what they hold.
Manifest HonestManifest(std::string_view lines);
// `content` as one zstd frame with explicit parameters (checksum, window log).
std::string Frame(std::string_view content, bool checksum = true, int window_log = 0,
                  int level = 3);
// `frames` with the bundle trailer appended, as a writer would finish them.
std::string Sealed(std::string frames);

}  // namespace glassbox::replay::testing
