// Schema naming, JSON Schema features and the deny-by-default privacy plan.
#include "schema/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace glassbox::schema {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class SchemaTest : public ::testing::Test {
 protected:
  // A closed object schema named iglu:com.acme/test/jsonschema/1-0-0 with `properties`.
  static json Doc(json properties, json extra = json::object()) {
    json doc = {{"$schema", "http://json-schema.org/draft-07/schema#"},
                {"$id", "iglu:com.acme/test/jsonschema/1-0-0"},
                {"type", "object"},
                {"properties", std::move(properties)},
                {"additionalProperties", false}};
    doc.update(extra);
    return doc;
  }
  static std::unique_ptr<Schema> MustCompile(json doc) {
    auto s = Schema::Compile(std::move(doc), "test.json");
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  static Status CompileError(json doc) {
    auto s = Schema::Compile(std::move(doc), "dir/bad.json");
    EXPECT_FALSE(s.ok());
    return s.status();
  }
  static json Clear(const char* type) { return {{"type", type}, {"x-privacy", "clear"}}; }
};

TEST_F(SchemaTest, SelfBlockNamesTheSchema) {
  json doc = Doc({{"a", Clear("string")}});
  doc.erase("$id");
  doc["self"] = {
      {"vendor", "com.acme"}, {"name", "thing"}, {"format", "jsonschema"}, {"version", "2-1-3"}};
  auto s = MustCompile(doc);
  EXPECT_EQ(s->key().Uri(), "iglu:com.acme/thing/jsonschema/2-1-3");
}

TEST_F(SchemaTest, IgluIdNamesTheSchema) {
  auto s = MustCompile(Doc({{"a", Clear("string")}}));
  EXPECT_EQ(s->key().vendor, "com.acme");
  EXPECT_EQ(s->key().name, "test");
  EXPECT_EQ(s->key().version, "1-0-0");
}

TEST_F(SchemaTest, UnnamedOrBadlyVersionedSchemaIsAnError) {
  json doc = Doc({{"a", Clear("string")}});
  doc.erase("$id");
  EXPECT_THAT(CompileError(doc).message(), HasSubstr("dir/bad.json"));
  doc["$id"] = "https://example.com/schema.json";
  EXPECT_THAT(CompileError(doc).message(), HasSubstr("/$id"));
  doc.erase("$id");
  doc["self"] = {{"vendor", "v"}, {"name", "n"}, {"format", "jsonschema"}, {"version", "1.0"}};
  EXPECT_THAT(CompileError(doc).message(), HasSubstr("/self/version"));
}

TEST_F(SchemaTest, SchemaVerOrdersNumerically) {
  auto a = ParseIgluUri("iglu:v/n/jsonschema/1-0-9");
  auto b = ParseIgluUri("iglu:v/n/jsonschema/1-0-10");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(*a < *b);
  EXPECT_FALSE(*b < *a);
  EXPECT_FALSE(ParseIgluUri("iglu:v/n/jsonschema/1-0"));
  EXPECT_FALSE(ParseIgluUri("iglu:v//jsonschema/1-0-0"));
  // A part of up to 9 digits; longer ones (which overflowed an int when compared) are not a
  // SchemaVer. A key built by hand still compares without overflow, by its digits' value.
  auto big = ParseIgluUri("iglu:v/n/jsonschema/1-0-999999999");
  ASSERT_TRUE(big);
  EXPECT_TRUE(*b < *big);
  EXPECT_FALSE(ParseIgluUri("iglu:v/n/jsonschema/1-0-9999999999"));
  EXPECT_FALSE(ParseIgluUri("iglu:v/n/jsonschema/99999999999999999999-0-0"));
  SchemaKey huge{"v", "n", "jsonschema", "1-0-99999999999999999999"};
  EXPECT_TRUE(*big < huge);
  EXPECT_FALSE(huge < *big);
}

TEST_F(SchemaTest, Draft04BooleanExclusiveMinimumIsHonoured) {
  json n = {
      {"type", "integer"}, {"minimum", 0}, {"exclusiveMinimum", true}, {"x-privacy", "clear"}};
  auto s = MustCompile(Doc({{"n", n}}, {{"$schema", "http://json-schema.org/draft-04/schema#"}}));
  EXPECT_FALSE(s->Validate({{"n", 0}}).ok());
  EXPECT_TRUE(s->Validate({{"n", 1}}).ok());
}

TEST_F(SchemaTest, IgluSelfDescribingMetaSchemaIsReadAsDraft04) {
  json n = {
      {"type", "number"}, {"maximum", 10}, {"exclusiveMaximum", true}, {"x-privacy", "clear"}};
  json doc = Doc({{"n", n}}, {{"$schema",
                               "http://iglucentral.com/schemas/"
                               "com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"}});
  auto s = MustCompile(doc);
  EXPECT_FALSE(s->Validate({{"n", 10}}).ok());
  EXPECT_TRUE(s->Validate({{"n", 9.5}}).ok());
}

TEST_F(SchemaTest, Draft07NumericExclusiveMinimumIsHonoured) {
  json n = {{"type", "integer"}, {"exclusiveMinimum", 5}, {"x-privacy", "clear"}};
  auto s = MustCompile(Doc({{"n", n}}));
  EXPECT_FALSE(s->Validate({{"n", 5}}).ok());
  EXPECT_TRUE(s->Validate({{"n", 6}}).ok());
}

TEST_F(SchemaTest, LocalRefIsFollowed) {
  json doc = Doc({{"p", {{"$ref", "#/definitions/plugin"}}}},
                 {{"definitions",
                   {{"plugin",
                     {{"type", "object"},
                      {"properties", {{"name", Clear("string")}}},
                      {"required", {"name"}},
                      {"additionalProperties", false}}}}}});
  auto s = MustCompile(doc);
  const Node* p = s->root().properties.at("p");
  EXPECT_EQ(p->kind, Node::Kind::kObject);
  EXPECT_EQ(p->pointer, "/definitions/plugin");
  EXPECT_TRUE(s->Validate({{"p", {{"name", "x"}}}}).ok());
  Status st = s->Validate({{"p", json::object()}});
  EXPECT_FALSE(st.ok());
}

TEST_F(SchemaTest, RecursiveDefinitionBuildsACyclicPlanAndValidatesTrees) {
  json tree = {{"type", "object"},
               {"properties",
                {{"label", {{"type", "string"}, {"maxLength", 8}, {"x-privacy", "clear"}}},
                 {"children", {{"type", "array"}, {"items", {{"$ref", "#/definitions/tree"}}}}}}},
               {"additionalProperties", false}};
  auto s = MustCompile(
      Doc({{"root", {{"$ref", "#/definitions/tree"}}}}, {{"definitions", {{"tree", tree}}}}));
  const Node* root = s->root().properties.at("root");
  const Node* children = root->properties.at("children");
  ASSERT_EQ(children->kind, Node::Kind::kArray);
  EXPECT_EQ(children->element, root);  // the cycle, not an endless unrolling
  json deep = {{"label", "a"}, {"children", {{{"label", "b"}, {"children", {{{"label", "c"}}}}}}}};
  EXPECT_TRUE(s->Validate({{"root", deep}}).ok());
  deep["children"][0]["children"][0]["label"] = "far-too-long-label";
  Status st = s->Validate({{"root", deep}});
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("/root/children/0/children/0/label"));
  EXPECT_THAT(st.message(), Not(HasSubstr("far-too-long-label")));
  bool recursive_listed = false;
  for (const auto& f : s->Fields()) recursive_listed |= f.type == "(recursive)";
  EXPECT_TRUE(recursive_listed);
}

TEST_F(SchemaTest, NullableTypesAcceptNullAndTheType) {
  json v = {{"type", {"string", "null"}}, {"x-privacy", "clear"}};
  auto s = MustCompile(Doc({{"v", v}}));
  EXPECT_TRUE(s->Validate({{"v", nullptr}}).ok());
  EXPECT_TRUE(s->Validate({{"v", "x"}}).ok());
  EXPECT_FALSE(s->Validate({{"v", 5}}).ok());
}

TEST_F(SchemaTest, EnumPatternLengthAndRangeLimitsAreEnforcedWithoutEchoingValues) {
  auto s = MustCompile(Doc({
      {"color", {{"type", "string"}, {"enum", {"red", "green"}}, {"x-privacy", "clear"}}},
      {"code", {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}, {"x-privacy", "clear"}}},
      {"name", {{"type", "string"}, {"minLength", 2}, {"maxLength", 4}, {"x-privacy", "clear"}}},
      {"n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 9}, {"x-privacy", "clear"}}},
      {"tags", {{"type", "array"}, {"maxItems", 2}, {"items", Clear("string")}}},
  }));
  EXPECT_TRUE(
      s->Validate(
           {{"color", "red"}, {"code", "ABC"}, {"name", "ab"}, {"n", 9}, {"tags", {"a", "b"}}})
          .ok());
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"color", "CANARYblue"}}, "/color"},
      {{{"code", "CANARYabc"}}, "/code"},
      {{{"name", "CANARYlong"}}, "/name"},
      {{{"name", "C"}}, "/name"},
      {{{"n", 10}}, "/n"},
      {{{"n", 0}}, "/n"},
      {{{"tags", {"CANARY1", "CANARY2", "CANARY3"}}}, "/tags"},
  };
  for (const auto& [data, field] : bad) {
    Status st = s->Validate(data);
    ASSERT_FALSE(st.ok()) << data.dump();
    EXPECT_THAT(st.message(), HasSubstr("field " + field)) << data.dump();
    EXPECT_THAT(st.message(), HasSubstr("iglu:com.acme/test/jsonschema/1-0-0"));
    EXPECT_THAT(st.message(), Not(HasSubstr("CANARY"))) << st.message();
  }
}

// Each thread validates with one valijson Validator, whose cache of compiled patterns every
// schema shares: two schemas with different patterns on the same field must each keep its own,
// on any thread, however their events interleave.
TEST_F(SchemaTest, SchemasSharingAThreadsValidatorEachKeepTheirOwnPattern) {
  auto upper = MustCompile(
      Doc({{"code", {{"type", "string"}, {"pattern", "^[A-Z]+$"}, {"x-privacy", "clear"}}}}));
  auto digits = MustCompile(
      Doc({{"code", {{"type", "string"}, {"pattern", "^[0-9]+$"}, {"x-privacy", "clear"}}}}));
  auto check = [&] {
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(upper->Validate({{"code", "ABC"}}).ok());
      EXPECT_FALSE(upper->Validate({{"code", "123"}}).ok());
      EXPECT_TRUE(digits->Validate({{"code", "123"}}).ok());
      EXPECT_FALSE(digits->Validate({{"code", "ABC"}}).ok());
    }
  };
  check();
  std::thread other(check);
  other.join();
}

// valijson checks date, time and date-time; they reach it as patterns (schema/formats.h),
// with its words and its rules, and a null where the type allows one.
TEST_F(SchemaTest, DateAndTimeFormatsAreEnforcedAndWordedAsValijsonWordsThem) {
  auto formatted = [](const char* format) {
    return json{{"type", {"string", "null"}}, {"format", format}, {"x-privacy", "clear"}};
  };
  auto s = MustCompile(Doc({{"at", formatted("date-time")},
                            {"day", formatted("date")},
                            {"clock", formatted("time")},
                            {"mail", formatted("email")}}));
  for (const char* at : {"2026-12-08T01:02:03Z", "2024-02-29T23:59:60.5+05:30",
                         "2026-12-08t01:02:03z", "12026-04-30T00:00:00-11:00"}) {
    EXPECT_TRUE(s->Validate({{"at", at}}).ok()) << at;
  }
  EXPECT_TRUE(s->Validate({{"at", nullptr}, {"day", nullptr}, {"clock", nullptr}}).ok());
  EXPECT_TRUE(s->Validate({{"day", "2026-01-31"}, {"clock", "16:52:45+02:00"}}).ok());
  EXPECT_TRUE(s->Validate({{"mail", "not checked"}}).ok());  // nor by valijson
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"at", "2026-02-30T01:02:03Z"}}, "/at: String should be a valid date-time"},
      {{{"at", "2026-04-31T00:00:00Z"}}, "/at: String should be a valid date-time"},
      {{{"at", "2026-13-01T00:00:00Z"}}, "/at: String should be a valid date-time"},
      {{{"at", "2026-12-08 01:02:03Z"}}, "/at: String should be a valid date-time"},
      {{{"at", "2026-12-08T01:02:03|02:00"}}, "/at: String should be a valid date-time"},
      {{{"at", "CANARY"}}, "/at: String should be a valid date-time"},
      {{{"at", "2026-12-08T01:02:03Z\n"}}, "/at: String should be a valid date-time"},
      {{{"day", "2026-06-31"}}, "/day: String should be a valid date"},
      {{{"clock", "24:00:00Z"}}, "/clock: String should be a valid time"},
  };
  for (const auto& [data, words] : bad) {
    Status st = s->Validate(data);
    ASSERT_FALSE(st.ok()) << data.dump();
    EXPECT_THAT(st.message(), HasSubstr("field " + words)) << st.message();
    EXPECT_THAT(st.message(), Not(HasSubstr("CANARY"))) << st.message();
  }
}

// The rewrite reaches formats in items and definitions, keeps a schema's own pattern beside
// the format's, and leaves values that only look like schemas (an enum's) alone.
TEST_F(SchemaTest, FormatsAreFoundInEverySubschemaAndOnlyThere) {
  json day = {{"type", "string"}, {"format", "date"}, {"x-privacy", "clear"}};
  auto s = MustCompile(Doc(
      {{"days", {{"type", "array"}, {"items", {{"$ref", "#/definitions/day"}}}}},
       {"this_year",
        {{"type", "string"}, {"pattern", "^2026-"}, {"format", "date"}, {"x-privacy", "clear"}}},
       {"shape", {{"enum", {{{"format", "date"}}}}, {"x-privacy", "clear"}}}},
      {{"definitions", {{"day", day}}}}));
  EXPECT_TRUE(s->Validate({{"days", {"2026-01-01", "2026-02-28"}}}).ok());
  Status st = s->Validate({{"days", {"2026-01-01", "2026-02-30"}}});
  EXPECT_THAT(st.message(), HasSubstr("field /days/1: String should be a valid date"));
  EXPECT_TRUE(s->Validate({{"this_year", "2026-03-01"}}).ok());
  EXPECT_FALSE(s->Validate({{"this_year", "2025-03-01"}}).ok());  // its own pattern
  EXPECT_FALSE(s->Validate({{"this_year", "2026-02-30"}}).ok());  // the format's
  EXPECT_TRUE(s->Validate({{"shape", {{"format", "date"}}}}).ok());
}

TEST_F(SchemaTest, MapWithClassifiedAdditionalPropertiesIsAllowed) {
  json labels = {{"type", "object"},
                 {"additionalProperties", {{"type", "string"}, {"x-privacy", "md5"}}}};
  auto s = MustCompile(Doc({{"labels", labels}}));
  const Node* m = s->root().properties.at("labels");
  ASSERT_EQ(m->kind, Node::Kind::kObject);
  ASSERT_NE(m->element, nullptr);
  EXPECT_EQ(m->element->privacy, Privacy::kMd5);
  EXPECT_TRUE(s->Validate({{"labels", {{"any", "x"}, {"key", "y"}}}}).ok());
  EXPECT_FALSE(s->Validate({{"labels", {{"any", 1}}}}).ok());
}

TEST_F(SchemaTest, UnclassifiedLeafIsAnErrorNamingFileAndPointer) {
  Status st = CompileError(Doc({{"ok", Clear("string")}, {"raw", {{"type", "string"}}}}));
  EXPECT_EQ(st.code(), StatusCode::kSchemaError);
  EXPECT_THAT(st.message(), HasSubstr("dir/bad.json: /properties/raw: "));
}

TEST_F(SchemaTest, UnknownPrivacyClassIsAnError) {
  Status st = CompileError(Doc({{"a", {{"type", "string"}, {"x-privacy", "rot13"}}}}));
  EXPECT_THAT(st.message(), HasSubstr("dir/bad.json: /properties/a/x-privacy: unknown"));
}

TEST_F(SchemaTest, OpenObjectIsAnError) {
  json open = {{"type", "object"}, {"properties", {{"a", Clear("string")}}}};
  Status st = CompileError(Doc({{"o", open}}));
  EXPECT_THAT(st.message(), HasSubstr("dir/bad.json: /properties/o: open object"));
  json root = Doc({{"a", Clear("string")}});
  root.erase("additionalProperties");
  EXPECT_THAT(CompileError(root).message(), HasSubstr("dir/bad.json: /: open object"));
}

TEST_F(SchemaTest, HashedNodeMustBeTypedString) {
  for (json type : {json("object"), json({"string", "integer"}), json()}) {
    json node = {{"x-privacy", "sha256"}};
    if (!type.is_null()) node["type"] = type;
    Status st = CompileError(Doc({{"h", node}}));
    EXPECT_THAT(st.message(), HasSubstr("dir/bad.json: /properties/h: a hashed node"))
        << type.dump();
  }
  MustCompile(Doc({{"h", {{"type", {"string", "null"}}, {"x-privacy", "md5"}}}}));
}

TEST_F(SchemaTest, ErrorInsideADefinitionNamesItsPointer) {
  json doc = Doc({{"p", {{"$ref", "#/definitions/p"}}}},
                 {{"definitions", {{"p", {{"type", "integer"}}}}}});
  EXPECT_THAT(CompileError(doc).message(), HasSubstr("/definitions/p"));
  json dangling = Doc({{"p", {{"$ref", "#/definitions/none"}}}});
  EXPECT_THAT(CompileError(dangling).message(), HasSubstr("/definitions/none"));
  json remote = Doc({{"p", {{"$ref", "http://example.com/x.json"}}}});
  EXPECT_THAT(CompileError(remote).message(), HasSubstr("only local $ref"));
}

TEST_F(SchemaTest, RefCycleWithoutASchemaIsAnErrorNotARecursion) {
  json doc = Doc({{"a", {{"$ref", "#/definitions/x"}}}},
                 {{"definitions",
                   {{"x", {{"$ref", "#/definitions/y"}}}, {"y", {{"$ref", "#/definitions/x"}}}}}});
  EXPECT_THAT(CompileError(doc).message(), HasSubstr("$ref cycle without a schema"));
}

TEST_F(SchemaTest, DeeplyNestedSchemaIsRefusedNotOverflowingTheStack) {
  // Built as text: wrapping a json value 10,000 times would copy it quadratically.
  std::string text = R"({"$id":"iglu:com.acme/deep/jsonschema/1-0-0",)";
  for (int i = 0; i < 10000; ++i) {
    text += R"("type":"object","additionalProperties":false,"properties":{"a":{)";
  }
  text += R"("type":"string","x-privacy":"clear")";
  for (int i = 0; i < 10000; ++i) text += "}}";
  text += "}";
  EXPECT_THAT(CompileError(json::parse(text)).message(), HasSubstr("nested deeper than"));
}

TEST_F(SchemaTest, ArrayWithoutItemsIsAnError) {
  EXPECT_THAT(CompileError(Doc({{"a", {{"type", "array"}}}})).message(),
              HasSubstr("/properties/a: array without"));
}

TEST_F(SchemaTest, ParsePrivacyKnowsEveryClass) {
  for (auto p :
       {Privacy::kClear, Privacy::kMd5, Privacy::kSha256, Privacy::kHmacSha256, Privacy::kDrop}) {
    EXPECT_EQ(ParsePrivacy(PrivacyName(p)), p);
  }
  EXPECT_FALSE(ParsePrivacy("none"));
}

}  // namespace
}  // namespace glassbox::schema
