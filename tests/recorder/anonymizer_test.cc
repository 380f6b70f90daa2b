// The anonymizer: each privacy class, whole-subtree hashing, unknown fields, nulls.
#include "recorder/anonymizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/canonical_json.h"
#include "base/digest.h"

namespace glassbox::recorder {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKey = "0123456789abcdef0123456789abcdef";

class AnonymizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json str = {{"type", "string"}};
    auto with = [&](const char* privacy, json type = "string") {
      return json{{"type", type}, {"x-privacy", privacy}};
    };
    json doc = {{"$id", "iglu:com.acme/anon/jsonschema/1-0-0"},
                {"type", "object"},
                {"properties",
                 {{"name", with("clear")},
                  {"count", with("clear", "integer")},
                  {"arg", with("md5")},
                  {"secret", with("sha256")},
                  {"user", with("hmac-sha256")},
                  {"password", {{"x-privacy", "drop"}}},
                  {"config", with("md5", json{"string", "null"})},
                  {"args", {{"type", "array"}, {"items", with("md5")}}},
                  {"labels", {{"type", "object"}, {"additionalProperties", with("sha256")}}},
                  {"nested",
                   {{"type", "object"},
                    {"properties", {{"keep", with("clear")}, {"hide", {{"x-privacy", "drop"}}}}},
                    {"additionalProperties", false}}}}},
                {"additionalProperties", false}};
    auto s = schema::Schema::Compile(doc, "anon.json");
    ASSERT_TRUE(s.ok()) << s.status().message();
    schema_ = std::move(s.value());
    options_.hmac_key = kKey;
  }
  Result<Anonymized> Run(const json& input) { return Anonymize(*schema_, input, options_); }
  json Data(const json& input) {
    auto out = Run(input);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? out->data : json();
  }

  std::unique_ptr<schema::Schema> schema_;
  AnonymizeOptions options_;
};

TEST_F(AnonymizerTest, ClearValuesPassUnchanged) {
  EXPECT_EQ(Data({{"name", "run"}, {"count", 3}}), json({{"name", "run"}, {"count", 3}}));
}

TEST_F(AnonymizerTest, HashedStringsAreDigestsOfTheirUtf8Bytes) {
  json out = Data({{"arg", "--full-refresh"}, {"secret", "s3cr\xc3\xa9t"}, {"user", "alice"}});
  EXPECT_EQ(out["arg"], base::Md5Hex("--full-refresh"));
  EXPECT_EQ(out["arg"], "50171c88acc606d09adff9a12ae5473b");  // md5sum of the same bytes
  EXPECT_EQ(out["secret"], base::Sha256Hex("s3cr\xc3\xa9t"));
  EXPECT_EQ(out["user"], base::HmacSha256Hex(kKey, "alice"));
  EXPECT_NE(out["user"], base::Sha256Hex("alice"));
}

TEST_F(AnonymizerTest, DroppedValuesVanishWhateverTheirShape) {
  for (json value : {json("x"), json({{"deep", {1, 2}}}), json(nullptr), json(42)}) {
    json out = Data({{"name", "a"}, {"password", value}});
    EXPECT_FALSE(out.contains("password")) << value.dump();
  }
  EXPECT_EQ(Data({{"nested", {{"keep", "k"}, {"hide", "h"}}}}),
            json({{"nested", {{"keep", "k"}}}}));
}

TEST_F(AnonymizerTest, ObjectIsHashedAsRfc8785CanonicalJson) {
  json out = Data({{"config", {{"b", 1}, {"a", {1.0, 2.5, "\u00e9"}}}}});
  EXPECT_EQ(out["config"], base::Md5Hex("{\"a\":[1,2.5,\"\xc3\xa9\"],\"b\":1}"));
  // The same configuration written differently gives the same digest.
  json again = Data({{"config", json::parse(R"({ "a" : [ 1, 2.50, "\u00e9" ], "b" : 1.0 })")}});
  EXPECT_EQ(again["config"], out["config"]);
  json changed = Data({{"config", {{"b", 2}, {"a", {1.0, 2.5, "\u00e9"}}}}});
  EXPECT_NE(changed["config"], out["config"]);
}

TEST_F(AnonymizerTest, ArrayItemsAndMapValuesAreEachTransformed) {
  json out = Data({{"args", {"a", "b"}}, {"labels", {{"team", "x"}, {"env", "y"}}}});
  EXPECT_EQ(out["args"], json({base::Md5Hex("a"), base::Md5Hex("b")}));
  EXPECT_EQ(out["labels"], json({{"team", base::Sha256Hex("x")}, {"env", base::Sha256Hex("y")}}));
}

TEST_F(AnonymizerTest, NullStaysNullInANullableHashedField) {
  EXPECT_EQ(Data({{"config", nullptr}}), json({{"config", nullptr}}));
}

TEST_F(AnonymizerTest, NullInANonNullableFieldIsRefusedByValidation) {
  auto out = Run({{"arg", nullptr}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidEvent);
  EXPECT_THAT(out.status().message(), HasSubstr("/arg"));
}

TEST_F(AnonymizerTest, UnknownFieldIsRefusedNamingItButNotItsValue) {
  auto out = Run({{"name", "a"}, {"extra_field", "CANARY-VALUE"}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidEvent);
  EXPECT_THAT(out.status().message(), HasSubstr("/extra_field"));
  EXPECT_THAT(out.status().message(), HasSubstr("unknown field"));
  EXPECT_THAT(out.status().message(), Not(HasSubstr("CANARY")));
  auto nested = Run({{"nested", {{"what", 1}}}});
  ASSERT_FALSE(nested.ok());
  EXPECT_THAT(nested.status().message(), HasSubstr("/nested/what"));
}

TEST_F(AnonymizerTest, WrongShapeIsRefusedNamingTheField) {
  auto out = Run({{"args", "not-an-array"}});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("/args: expected an array"));
  auto typed = Run({{"count", "CANARY"}});
  ASSERT_FALSE(typed.ok());
  EXPECT_THAT(typed.status().message(), HasSubstr("/count"));
  EXPECT_THAT(typed.status().message(), Not(HasSubstr("CANARY")));
}

TEST_F(AnonymizerTest, ScrubberRunsOnClearStringsOnly) {
  options_.scrubber = [](std::string& text, std::map<std::string, int>& counts) {
    if (text == "10.0.0.1") {
      text = "[ip]";
      ++counts["ip"];
    }
  };
  auto out = Run({{"name", "10.0.0.1"}, {"arg", "10.0.0.1"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->data["name"], "[ip]");
  EXPECT_EQ(out->data["arg"], base::Md5Hex("10.0.0.1"));
  EXPECT_EQ(out->redactions.at("ip"), 1);
}

}  // namespace
}  // namespace glassbox::recorder
