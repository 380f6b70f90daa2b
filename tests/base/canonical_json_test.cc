#include "base/canonical_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/digest.h"

namespace glassbox::base {
namespace {

TEST(CanonicalJson, SortsKeysAndDropsWhitespace) {
  auto v = nlohmann::json::parse(R"({ "b": 1, "a": [ true, null, "x" ] })");
  EXPECT_EQ(CanonicalJson(v), R"({"a":[true,null,"x"],"b":1})");
}

TEST(CanonicalJson, FormatsNumbersLikeEcmaScript) {
  EXPECT_EQ(EcmaNumber(1.0), "1");
  EXPECT_EQ(EcmaNumber(-0.0), "0");
  EXPECT_EQ(EcmaNumber(2.5), "2.5");
  EXPECT_EQ(EcmaNumber(1e21), "1e+21");
  EXPECT_EQ(EcmaNumber(1e20), "100000000000000000000");
  EXPECT_EQ(EcmaNumber(1e-7), "1e-7");
  EXPECT_EQ(EcmaNumber(0.000001), "0.000001");
  EXPECT_EQ(EcmaNumber(333333333.33333329), "333333333.3333333");
  EXPECT_EQ(EcmaNumber(4.50), "4.5");
  EXPECT_EQ(EcmaNumber(-1.5e-10), "-1.5e-10");
}

// RFC 8785 sorts by UTF-16 code units: U+E000 sorts after U+1F600 (a surrogate pair, D83D).
TEST(CanonicalJson, SortsKeysByUtf16CodeUnits) {
  nlohmann::json v = {{"\xee\x80\x80", 1}, {"\xf0\x9f\x98\x80", 2}};
  EXPECT_EQ(CanonicalJson(v), "{\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}");
}

// Keys below U+E000 keep the object's own (UTF-8 byte) order; one key at or above it sends
// the whole object through the UTF-16 sort.
TEST(CanonicalJson, KeysBelowUE000SortAsTheirBytesDo) {
  nlohmann::json v = {{"z", 1}, {"\xed\x9f\xbf", 2}, {"caf\xc3\xa9", 3}, {"a", 4}, {"A", 5}};
  EXPECT_EQ(CanonicalJson(v), "{\"A\":5,\"a\":4,\"caf\xc3\xa9\":3,\"z\":1,\"\xed\x9f\xbf\":2}");
  v["\xf0\x9f\x98\x80"] = 6;  // U+1F600 (D83D DE00) after U+D7FF
  EXPECT_EQ(
      CanonicalJson(v),
      "{\"A\":5,\"a\":4,\"caf\xc3\xa9\":3,\"z\":1,\"\xed\x9f\xbf\":2,\"\xf0\x9f\x98\x80\":6}");
  v["\xef\xbf\xbf"] = 7;  // U+FFFF sorts after the surrogate pair D83D DE00
  EXPECT_EQ(CanonicalJson(v),
            "{\"A\":5,\"a\":4,\"caf\xc3\xa9\":3,\"z\":1,\"\xed\x9f\xbf\":2,"
            "\"\xf0\x9f\x98\x80\":6,\"\xef\xbf\xbf\":7}");
}

TEST(CanonicalJson, EscapesControlCharactersInLowercaseHex) {
  EXPECT_EQ(CanonicalJson(nlohmann::json("a\x1f\n")), "\"a\\u001f\\n\"");
}

// Strings needing no escape are copied as they are; the rest take nlohmann's escapes. Both
// ways must give what nlohmann's serializer gives, in keys as in values.
TEST(CanonicalJson, StringsMatchNlohmannsEscapingInKeysAndValues) {
  for (std::string s : {"plain", "", "quote\"", "back\\slash", "del\x7f", "caf\xc3\xa9",
                        "\xf0\x9f\x98\x80", "tab\there", "/slash"}) {
    std::string quoted = nlohmann::json(s).dump();
    EXPECT_EQ(CanonicalJson(nlohmann::json(s)), quoted) << quoted;
    EXPECT_EQ(CanonicalJson(nlohmann::json{{s, 1}}), "{" + quoted + ":1}") << quoted;
  }
}

TEST(Digest, MatchesKnownVectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace glassbox::base
