// Loading schemas from folders, resolving names, and linting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "schema/schema.h"

namespace glassbox::schema {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/glassbox-registry-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a minimal valid schema for vendor/name/version at `relative` (Iglu layout if empty).
  void Write(const std::string& vendor, const std::string& name, const std::string& version,
             std::string relative = "", json field = {{"type", "string"}, {"x-privacy", "clear"}}) {
    if (relative.empty()) relative = vendor + "/" + name + "/jsonschema/" + version;
    json doc = {
        {"self",
         {{"vendor", vendor}, {"name", name}, {"format", "jsonschema"}, {"version", version}}},
        {"type", "object"},
        {"properties", {{"v" + version, field}}},
        {"additionalProperties", false}};
    WriteText(relative, doc.dump(2));
  }
  void WriteText(const std::string& relative, const std::string& text) {
    fs::path p = fs::path(dir_) / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::unique_ptr<Registry> Open() {
    auto r = Registry::Open(dir_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r.value()) : nullptr;
  }

  std::string dir_;
};

TEST_F(RegistryTest, ShortNamePicksTheNewestVersionNumerically) {
  Write("com.acme", "job", "1-0-9");
  Write("com.acme", "job", "1-0-10");
  Write("com.acme", "job", "1-0-2");
  auto r = Open();
  auto s = r->Find("job");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.value()->key().version, "1-0-10");
  auto exact = r->Find("iglu:com.acme/job/jsonschema/1-0-9");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact.value()->key().version, "1-0-9");
}

TEST_F(RegistryTest, PlainJsonFilesAreLoadedToo) {
  Write("com.acme", "flat", "1-0-0", "flat.json");
  EXPECT_TRUE(Open()->Find("flat").ok());
}

TEST_F(RegistryTest, BuiltinCliEventIsAlwaysThere) {
  auto r = Registry::Open("");
  ASSERT_TRUE(r.ok());
  auto s = r.value()->Find("cli_event");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.value()->key().Uri(), "iglu:dev.glassbox/cli_event/jsonschema/1-0-0");
  std::map<std::string, Privacy> classes;
  for (const auto& f : s.value()->Fields()) classes[f.path] = f.privacy;
  EXPECT_EQ(classes.at("command"), Privacy::kClear);
  EXPECT_EQ(classes.at("args[]"), Privacy::kMd5);
  EXPECT_EQ(classes.at("plugins[].config"), Privacy::kMd5);
  EXPECT_EQ(classes.at("project_config"), Privacy::kSha256);
  EXPECT_EQ(classes.at("settings"), Privacy::kDrop);
}

TEST_F(RegistryTest, UnknownSchemaIsNotFound) {
  auto r = Open();
  EXPECT_EQ(r->Find("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r->Find("iglu:com.acme/nope/jsonschema/1-0-0").status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, SameShortNameFromTwoVendorsIsAmbiguous) {
  Write("com.acme", "job", "1-0-0");
  Write("org.other", "job", "1-0-0");
  auto found = Open()->Find("job");
  ASSERT_FALSE(found.ok());
  EXPECT_THAT(found.status().message(), HasSubstr("ambiguous"));
}

TEST_F(RegistryTest, DuplicateKeyInOneFolderIsAnError) {
  Write("com.acme", "job", "1-0-0");
  Write("com.acme", "job", "1-0-0", "copy.json");
  auto r = Registry::Open(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("also defined in"));
}

TEST_F(RegistryTest, BrokenSchemaFailsOnFirstUseNamingItsFile) {
  Write("com.acme", "job", "1-0-0", "", {{"type", "string"}});
  auto r = Open();
  auto s = r->Find("job");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kSchemaError);
  EXPECT_THAT(s.status().message(), HasSubstr("com.acme/job/jsonschema/1-0-0: /properties/v1-0-0"));
}

TEST_F(RegistryTest, LintReportsEveryBrokenFileAndWarnsAboutSuspiciousClearFields) {
  Write("com.acme", "a", "1-0-0", "", {{"type", "string"}});
  Write("com.acme", "b", "1-0-0", "", {{"type", "string"}, {"x-privacy", "bogus"}});
  WriteText("c.json", "{not json");
  json doc = {{"$id", "iglu:com.acme/d/jsonschema/1-0-0"},
              {"type", "object"},
              {"properties", {{"api_token", {{"type", "string"}, {"x-privacy", "clear"}}}}},
              {"additionalProperties", false}};
  WriteText("d.json", doc.dump());
  auto findings = LintDir(dir_);
  int errors = 0, warnings = 0;
  for (const auto& f : findings) (f.error ? errors : warnings)++;
  // An unparseable file is one finding; it does not hide the files after it.
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(warnings, 1);
  bool names_pointer = false;
  for (const auto& f : findings)
    names_pointer |= f.message.find("/properties/v1-0-0") != std::string::npos;
  EXPECT_TRUE(names_pointer);
}

TEST_F(RegistryTest, LintReportsEveryProblemInOneFileNotOnlyTheFirst) {
  json doc = {{"$id", "iglu:com.acme/e/jsonschema/1-0-0"},
              {"type", "object"},
              {"properties",
               {{"a", {{"type", "string"}}},
                {"b", {{"type", "integer"}, {"x-privacy", "md5"}}},
                {"c", {{"type", "object"}, {"properties", json::object()}}},
                {"d", {{"type", "string"}, {"x-privacy", "clear"}}}}},
              {"additionalProperties", false}};
  WriteText("e.json", doc.dump());
  auto findings = LintDir(dir_);
  std::vector<std::string> messages;
  for (const auto& f : findings) messages.push_back(f.message);
  EXPECT_THAT(messages, ElementsAre(HasSubstr("/properties/a: value node has no x-privacy"),
                                    HasSubstr("/properties/b: a hashed node must be"),
                                    HasSubstr("/properties/c: open object")));
  // Compiling for use still stops at the first problem, with one message.
  auto compiled = Schema::Compile(doc, "e.json");
  ASSERT_FALSE(compiled.ok());
  EXPECT_THAT(compiled.status().message(), HasSubstr("/properties/a:"));
}

}  // namespace
}  // namespace glassbox::schema
