// The input guard: every limit, and every malformed input, refused before anything is built.
#include "recorder/input_guard.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace glassbox::recorder {
namespace {

using ::testing::HasSubstr;

Status Parse(std::string_view text) {
  nlohmann::json out;
  return ParseInput(text, "iglu:t/t/jsonschema/1-0-0", &out);
}

std::string Nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += i == 0 ? "{\"a\":" : "[";
  s += "1";
  for (int i = depth - 1; i >= 0; --i) s += i == 0 ? "}" : "]";
  return s;
}

void ExpectRefused(std::string_view text, const std::string& why) {
  Status st = Parse(text);
  ASSERT_FALSE(st.ok()) << text.substr(0, 80);
  EXPECT_EQ(st.code(), StatusCode::kInvalidEvent);
  EXPECT_THAT(st.message(), HasSubstr("iglu:t/t/jsonschema/1-0-0: "));
  EXPECT_THAT(st.message(), HasSubstr(why)) << st.message();
}

TEST(InputGuard, AcceptsAPlainObject) {
  nlohmann::json out;
  ASSERT_TRUE(ParseInput(R"({"a":[1,"x",null,{"b":true}]})", "t", &out).ok());
  EXPECT_EQ(out["a"][3]["b"], true);
}

TEST(InputGuard, RefusesDuplicateKeysAtAnyDepth) {
  ExpectRefused(R"({"a":1,"a":2})", "duplicate key");
  ExpectRefused(R"({"x":{"b":1,"b":1}})", "duplicate key");
  EXPECT_TRUE(Parse(R"({"x":{"b":1},"y":{"b":1}})").ok());  // same key in siblings is fine
}

TEST(InputGuard, RefusesDuplicateKeysWithoutNamingThem) {
  Status st = Parse(R"({"CANARY":1,"CANARY":2})");
  EXPECT_THAT(st.message(), ::testing::Not(HasSubstr("CANARY")));
}

TEST(InputGuard, RefusesNulInStringsAndKeys) {
  ExpectRefused(R"({"a":"x\u0000y"})", "NUL");
  ExpectRefused(R"({"a\u0000":"x"})", "NUL");
  ExpectRefused(std::string_view("{\"a\":\"x\0y\"}", 11), "raw control character");
}

TEST(InputGuard, RefusesInvalidUtf8AndLoneSurrogates) {
  ExpectRefused("{\"a\":\"\xff\xfe\"}", "not valid UTF-8");
  ExpectRefused("{\"a\":\"\xc3\x28\"}", "not valid UTF-8");      // bad continuation
  ExpectRefused("{\"a\":\"\xed\xa0\x80\"}", "not valid UTF-8");  // UTF-8-encoded surrogate
  ExpectRefused(R"({"a":"\ud800"})", "unpaired UTF-16 surrogate");
  ExpectRefused(R"({"a":"\udc00x"})", "unpaired UTF-16 surrogate");
  EXPECT_TRUE(Parse(R"({"a":"\ud83d\ude00"})").ok());  // a proper pair is fine
}

TEST(InputGuard, RefusesDeepNestingWithoutRecursing) {
  EXPECT_TRUE(Parse(Nested(kMaxDepth)).ok());
  ExpectRefused(Nested(kMaxDepth + 1), "nested deeper than");
  std::string deep(100000, '[');
  ExpectRefused("{\"a\":" + deep, "nested deeper than");
}

TEST(InputGuard, RefusesHugeNumbersAndNaN) {
  ExpectRefused(R"({"a":1e400})", "out of range");
  ExpectRefused(R"({"a":-1e400})", "out of range");
  ExpectRefused(R"({"a":NaN})", "not valid JSON");
  ExpectRefused(R"({"a":Infinity})", "not valid JSON");
  EXPECT_TRUE(Parse(R"({"a":1e300,"b":18446744073709551615,"c":-9223372036854775808})").ok());
}

TEST(InputGuard, RefusesOversizedInput) {
  std::string big = "{\"a\":\"" + std::string(kMaxInputBytes, 'x') + "\"}";
  ExpectRefused(big, "larger than");
  std::string fits = "{\"a\":\"" + std::string(kMaxInputBytes - 8, 'x') + "\"}";
  EXPECT_TRUE(Parse(fits).ok());
}

TEST(InputGuard, RefusesTooManyFields) {
  std::string many = "{\"a\":[";
  for (size_t i = 0; i < kMaxFields; ++i) many += i ? ",0" : "0";
  ExpectRefused(many + "]}", "more than");
  std::string fields = "{";
  for (size_t i = 0; i < kMaxFields + 1; ++i) {
    fields += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  }
  ExpectRefused(fields + "}", "more than");
}

TEST(InputGuard, RefusesWhatIsNotAnObject) {
  ExpectRefused("[1]", "must be a JSON object");
  ExpectRefused("\"s\"", "must be a JSON object");
  ExpectRefused("", "not valid JSON");
  ExpectRefused("{\"a\":1} trailing", "not valid JSON");
}

TEST(InputGuard, AcceptsShellMetacharactersAndNewlinesVerbatim) {
  nlohmann::json out;
  const char* text = R"({"a":"$(rm -rf /); `id` | && > < * ? ' \" \\ \n\r\t end"})";
  ASSERT_TRUE(ParseInput(text, "t", &out).ok());
  EXPECT_EQ(out["a"], "$(rm -rf /); `id` | && > < * ? ' \" \\ \n\r\t end");
}

// ParseInput reads with simdjson and falls back to nlohmann's parser (the reference) for
// anything the fast path is unsure of. Both must give the same verdict, words and value,
// including at each limit's edge and where the two libraries read numbers differently.
TEST(InputGuard, FastPathAgreesWithTheReferenceParser) {
  std::string many_fields = "{\"a\":[";
  for (size_t i = 0; i + 2 < kMaxFields; ++i) many_fields += i ? ",0" : "0";
  many_fields += "]}";
  const std::vector<std::string> inputs = {
      R"({"a":[1,"x",null,{"b":true}],"c":-1.5e-3,"d":"caf\u00e9 \ud83d\ude00"})",
      R"({"n":-0,"m":-0.0,"u":18446744073709551615,"big":18446744073709551616})",
      R"({"i":-9223372036854775808,"j":-9223372036854775809,"f":1E2,"g":1e-400})",
      R"({"h":1e400})",
      R"({"a":1,"a":2})",
      R"({"a":{"b":1,"b":1}})",
      "{\"a\":\"x\ty\"}",
      R"({"a":"\u0000"})",
      R"({"\u0000":1})",
      R"({"a":"\ud800"})",
      "{\"a\":\"\xff\"}",
      "\xEF\xBB\xBF{\"a\":1}",
      R"({"a":1} x)",
      R"( {"a":1} )",
      R"([1])",
      R"("s")",
      "",
      Nested(kMaxDepth),
      Nested(kMaxDepth + 1),
      many_fields,
      many_fields + " ",
      "{\"a\":[" + std::string(kMaxFields, '1') + "]}",
  };
  std::string over_limit = many_fields;
  over_limit.insert(over_limit.size() - 2, ",0");
  for (const std::string& text : inputs) {
    nlohmann::json fast, reference;
    Status fast_st = ParseInput(text, "t", &fast);
    Status reference_st = detail::ParseInputWithNlohmann(text, "t", &reference);
    SCOPED_TRACE(text.substr(0, 60));
    EXPECT_EQ(fast_st.ok(), reference_st.ok());
    EXPECT_EQ(fast_st.message(), reference_st.message());
    if (fast_st.ok() && reference_st.ok()) {
      EXPECT_EQ(fast, reference);
      EXPECT_EQ(fast.dump(), reference.dump());
    }
  }
  for (const std::string& text : {many_fields, over_limit}) {
    nlohmann::json fast, reference;
    EXPECT_EQ(ParseInput(text, "t", &fast).ok(),
              detail::ParseInputWithNlohmann(text, "t", &reference).ok());
  }
  EXPECT_FALSE(Parse(over_limit).ok());
  EXPECT_TRUE(Parse(many_fields).ok());
}

}  // namespace
}  // namespace glassbox::recorder
