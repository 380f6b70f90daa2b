// Hostile and broken bundles: each is refused with a clear error, and nothing is returned.
#include <algorithm>
#include <bit>
#include <cmath>
#include <map>

#include "base/canonical_json.h"
#include "base/ids.h"
#include "replay/bundle_internal.h"
#include "tests/bundle/fixture.h"

namespace glassbox::replay::testing {
namespace {

class HostileTest : public BundleTest {
 protected:
  void SetUp() override {
    BundleTest::SetUp();
    Record(8);
    Export("good.gbx");
    good_ = ReadAll("good.gbx");
    std::string text = Decompress(good_);
    lines_ = text.substr(text.find('\n') + 1);
  }

  // Expects `bytes` to be refused with a message containing `why`.
  void ExpectRefused(const std::string& bytes, const std::string& why,
                     const ReadOptions* options = nullptr) {
    auto b = ParseBundle(bytes, options ? *options : Reading());
    ASSERT_FALSE(b.ok()) << "accepted; expected: " << why;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidEvent) << b.status().message();
    EXPECT_NE(b.status().message().find(why), std::string::npos) << b.status().message();
  }
  std::string Encode(const Manifest& m, std::string_view lines) {
    return EncodeBundle(m, lines).value();
  }
  // The good bundle's lines with line `i` (0-based, events only) replaced.
  std::string WithEvent(size_t i, const std::string& line) {
    std::string out;
    size_t start = 0, n = 0;
    while (start < lines_.size()) {
      size_t nl = lines_.find('\n', start);
      out += (n++ == i ? line : lines_.substr(start, nl - start)) + "\n";
      start = nl + 1;
    }
    return out;
  }
  // Event `i` with its members in their written order (event_id first).
  nlohmann::ordered_json Event(size_t i) {
    size_t start = 0;
    for (size_t n = 0; n < i; ++n) start = lines_.find('\n', start) + 1;
    return nlohmann::ordered_json::parse(lines_.substr(start, lines_.find('\n', start) - start));
  }
  // A bundle whose event `i` is `e` and whose manifest is honest about it.
  std::string WithEventJson(size_t i, const nlohmann::ordered_json& e) {
    std::string lines = WithEvent(i, e.dump());
    return Encode(HonestManifest(lines), lines);
  }

  std::string good_, lines_;
};

TEST_F(HostileTest, TheGoodBundleAndItsHonestReencodingAreAccepted) {
  ASSERT_TRUE(ParseBundle(good_, Reading()).ok());
  ASSERT_TRUE(ParseBundle(Encode(HonestManifest(lines_), lines_), Reading()).ok());
}

TEST_F(HostileTest, EveryTruncationIsRefused) {
  for (size_t n = 0; n < good_.size(); ++n) {
    auto b = ParseBundle(std::string_view(good_).substr(0, n), Reading());
    EXPECT_FALSE(b.ok()) << "prefix of " << n << " bytes accepted";
  }
}

TEST_F(HostileTest, AFlippedBitAtEveryOffsetIsRefused) {
  for (size_t i = 0; i < good_.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = good_;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      EXPECT_FALSE(ParseBundle(bad, Reading()).ok()) << "offset " << i << " mask " << int(mask);
    }
  }
}

TEST_F(HostileTest, TrailingBytesAndAMissingTrailerAreRefused) {
  ExpectRefused(good_ + "x", "does not end with its trailer");
  ExpectRefused(good_ + good_, "do not match its trailer digest");
  ExpectRefused(good_.substr(0, good_.size() - detail::kTrailerBytes), "trailer");
  ExpectRefused(Sealed(good_), "zstd frame 3: not a zstd frame");
}

TEST_F(HostileTest, ManifestThatDisagreesWithTheBodyIsRefused) {
  Manifest m = HonestManifest(lines_);
  auto check = [&](auto mutate, const std::string& why) {
    Manifest bad = m;
    mutate(bad);
    ExpectRefused(Encode(bad, lines_), why);
  };
  check([](Manifest& x) { x.event_count += 1; }, "event_count");
  check([](Manifest& x) { x.event_count -= 1; }, "more events than the manifest's event_count");
  check([](Manifest& x) { x.events_bytes += 1; }, "events_bytes");
  check([](Manifest& x) { x.events_bytes -= 1; }, "longer than the manifest's events_bytes");
  check([](Manifest& x) { x.events_sha256[0] = x.events_sha256[0] == 'a' ? 'b' : 'a'; },
        "events_sha256");
  check([](Manifest& x) { x.first_recorded_at = "2020-01-01T00:00:00.000Z"; }, "first_recorded_at");
  check([](Manifest& x) { x.last_recorded_at = "2099-01-01T00:00:00.000Z"; }, "last_recorded_at");
  check([](Manifest& x) { x.schemas.push_back("iglu:x/y/jsonschema/1-0-0"); }, "schemas");
  check([](Manifest& x) { x.format = 2; }, "format version 2 is not supported");
}

TEST_F(HostileTest, MalformedManifestsAreRefused) {
  nlohmann::json m = HonestManifest(lines_).ToJson();
  auto encode = [&](const nlohmann::json& j) {
    return Sealed(Frame(j.dump() + "\n") + Frame(lines_));
  };
  nlohmann::json extra = m;
  extra["comment"] = "hello";
  ExpectRefused(encode(extra), "unknown member");
  nlohmann::json missing = m;
  missing.erase("event_count");
  ExpectRefused(encode(missing), "\"event_count\" is missing");
  nlohmann::json negative = m;
  negative["event_count"] = -1;
  ExpectRefused(encode(negative), "non-negative integer");
  nlohmann::json half_signed = m;
  half_signed["signature"] = "AAAA";
  ExpectRefused(encode(half_signed), "come together");
  ExpectRefused(Sealed(Frame("[1,2]\n") + Frame(lines_)), "not a JSON object");
  // The manifest goes through the same line checks as the events.
  std::string twice = m.dump();
  twice.insert(twice.size() - 1, R"(,"event_count":0)");
  ExpectRefused(Sealed(Frame(twice + "\n") + Frame(lines_)),
                "manifest (line 1): an object has a duplicate key");
  ExpectRefused(Sealed(Frame(std::string(40, '[') + std::string(40, ']') + "\n") + Frame(lines_)),
                "manifest (line 1): nested deeper than 32");
}

TEST_F(HostileTest, EventLinesThatBreakTheShapeAreRefused) {
  nlohmann::ordered_json e = Event(0);
  auto check = [&](auto mutate, const std::string& why) {
    nlohmann::ordered_json bad = e;
    mutate(bad);
    ExpectRefused(WithEventJson(0, bad), why);
  };
  check([](auto& x) { x["schema"] = "iglu:com.example/nope/jsonschema/1-0-0"; },
        "schema iglu:com.example/nope/jsonschema/1-0-0 is not known");
  check([](auto& x) { x["schema"] = "cli_event"; }, "not an iglu: URI");
  check([](auto& x) { x["schema"] = "my secret text"; }, "not an iglu: URI");
  check([](auto& x) { x["data"]["command"] = 42; }, "/command");
  check([](auto& x) { x["data"]["password"] = "x"; }, "password");
  check([](auto& x) { x["hostname"] = "box"; }, "unknown member");
  check([](auto& x) { x["phase"] = "middle"; }, "\"phase\"");
  check([](auto& x) { x["span_id"] = "01a217b4-9765-776e-b319-a1380bb09d3d"; }, "span_id");
  check([](auto& x) { x["recorded_at"] = "yesterday"; }, "recorded_at");
  check([](auto& x) { x["recorded_at"] = "2026-11-26T10:00:00Z"; }, "recorded_at");
  check([](auto& x) { x["context"]["nested"] = {{"a", 1}}; }, "context");
  check([](auto& x) { x.erase("context"); }, "\"context\" must be an object");
  // The event_id is checked where it is expected, first.
  nlohmann::ordered_json no_id = e;
  no_id["event_id"] = "not-a-uuid";
  ExpectRefused(WithEventJson(0, no_id), "does not start with");
}

TEST_F(HostileTest, NoValueAppearsInAnyMessage) {
  nlohmann::ordered_json e = Event(0);
  e["data"]["command"] = nlohmann::ordered_json::array({"CANARY-7f3a"});
  auto b = ParseBundle(WithEventJson(0, e), Reading());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message().find("CANARY"), std::string::npos) << b.status().message();
  std::string line = Event(1).dump();
  line.insert(line.size() - 1, R"(,"CANARY-key":"CANARY-value")");
  b = ParseBundle(Encode(HonestManifest(WithEvent(1, line)), WithEvent(1, line)), Reading());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message().find("CANARY"), std::string::npos) << b.status().message();
}

TEST_F(HostileTest, DuplicateIdsAndDuplicateKeysAreRefused) {
  std::string first = lines_.substr(0, lines_.find('\n') + 1);
  std::string twice = lines_ + first;
  int64_t events = std::count(lines_.begin(), lines_.end(), '\n');
  // Line 1 is the manifest, so the repeated first event is on line events + 2.
  ExpectRefused(Encode(HonestManifest(twice), twice),
                "line " + std::to_string(events + 2) + ": duplicate event_id");
  // Two ids repeated: the message names the earlier repeat in the file, whatever the ids.
  std::string last = lines_.substr(lines_.rfind('\n', lines_.size() - 2) + 1);
  std::string both = lines_ + last + first;
  ExpectRefused(Encode(HonestManifest(both), both),
                "line " + std::to_string(events + 2) + ": duplicate event_id");
  std::string line = Event(2).dump();
  line.insert(line.size() - 1, R"(,"phase":"single")");
  std::string dup = WithEvent(2, line);
  ExpectRefused(Encode(HonestManifest(dup), dup), "duplicate key");
  // Deep inside, and where the repeated key's values are objects of different sizes.
  line = Event(2).dump();
  line.insert(line.size() - 1, R"(,"x":[{"a":{"b":1,"c":2},"d":0,"a":{"e":3}}])");
  dup = WithEvent(2, line);
  ExpectRefused(Encode(HonestManifest(dup), dup), "duplicate key");
}

// The event parser reads a line as a memory stream that ends at a NUL byte: whatever follows
// one must still be refused, as must a number too large for a double.
TEST_F(HostileTest, BytesAfterANulAndHugeNumbersAreRefused) {
  std::string line = Event(1).dump();
  line += std::string("\0", 1) + R"({"event_id":"x"})";
  std::string lines = WithEvent(1, line);
  ExpectRefused(Encode(HonestManifest(lines), lines), "not valid JSON");
  line = Event(1).dump();
  line.insert(line.size() - 1, R"(,"x":1e400)");
  lines = WithEvent(1, line);
  ExpectRefused(Encode(HonestManifest(lines), lines), "not valid JSON");
  // Within RapidJSON's scan but past a double: refused by the conversion, never read as 0 or
  // infinity. Below the smallest double a number is a zero of its sign.
  for (const char* huge : {"[1.8e308]", "[-1.8e308]", "[{\"k\":1}, 1.8e308, 1, 1]"}) {
    rapidjson::Document doc;
    EXPECT_EQ(detail::ParseLine(huge, 64, "line 2", &doc).message(),
              "line 2: a number is out of range")
        << huge;
  }
  rapidjson::Document tiny;
  ASSERT_TRUE(detail::ParseLineCheckingUtf8InRapidJson("[-1e-400]", 64, "line 2", &tiny).ok());
  EXPECT_EQ(tiny[0].GetDouble(), 0.0);
  EXPECT_TRUE(std::signbit(tiny[0].GetDouble()));
}

// simdjson checks a line's UTF-8 first; a line it refuses goes to RapidJSON's own check,
// which words the refusal. Both parsers must agree on every line: verdict, message, value.
// The value with every number's type flags (int, uint, int64, uint64, double) and a
// double's bits: what valijson's checks may tell apart, where == compares numbers by value.
std::string Typed(const rapidjson::Value& v) {
  if (v.IsObject()) {
    std::string out = "{";
    for (const auto& m : v.GetObject()) {
      out += std::string(m.name.GetString(), m.name.GetStringLength()) + ":" + Typed(m.value) + ",";
    }
    return out + "}";
  }
  if (v.IsArray()) {
    std::string out = "[";
    for (const auto& item : v.GetArray()) out += Typed(item) + ",";
    return out + "]";
  }
  if (v.IsNumber()) {
    std::string flags = {v.IsInt() ? 'i' : '-', v.IsUint() ? 'u' : '-', v.IsInt64() ? 'I' : '-',
                         v.IsUint64() ? 'U' : '-', v.IsDouble() ? 'd' : '-'};
    if (v.IsDouble()) return flags + std::to_string(std::bit_cast<uint64_t>(v.GetDouble()));
    return flags + (v.IsInt64() ? std::to_string(v.GetInt64()) : std::to_string(v.GetUint64()));
  }
  if (v.IsString()) return "\"" + std::string(v.GetString(), v.GetStringLength()) + "\"";
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return "null";
}

// ParseLine (simdjson first) and its reference (RapidJSON alone) agree on `text`: the same
// verdict and message, and the same document, numbers of the same types.
void ExpectSameAsReference(const std::string& text) {
  rapidjson::Document fast, reference;
  Status a = detail::ParseLine(text, 64, "line 2", &fast);
  Status b = detail::ParseLineCheckingUtf8InRapidJson(text, 64, "line 2", &reference);
  EXPECT_EQ(a.ok(), b.ok()) << text;
  EXPECT_EQ(a.message(), b.message()) << text;
  if (a.ok() && b.ok()) {
    EXPECT_TRUE(fast == reference) << text;
    EXPECT_EQ(Typed(fast), Typed(reference)) << text;
  }
}

TEST_F(HostileTest, InvalidUtf8IsRefusedAndBothUtf8ChecksAgree) {
  const std::string bad[] = {"\xff",     "\xc0\xaf",     "\x80",
                             "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80"};
  const std::string good[] = {"caf\xc3\xa9", "\xf0\x9d\x84\x9e", "\\ud834\\udd1e", "plain"};
  auto line_with = [&](const std::string& text) {  // the raw bytes, not JSON-escaped
    std::string line = Event(1).dump();
    const std::string member = R"("data":{)";
    return line.insert(line.find(member) + member.size(), "\"x\":\"" + text + "\","), line;
  };
  for (const auto& b : bad) {
    std::string line = line_with(b);
    std::string lines = WithEvent(1, line);
    ExpectRefused(Encode(HonestManifest(lines), lines), "line 3: not valid JSON (at byte");
  }
  for (const auto& text : {std::string("{\"a\":\"") + "\xff" + "\"}",
                           std::string("{\"\xc3\xa9\":1}"), std::string("[\"\xed\xa0\x80\"]"),
                           std::string("{\"a\":\"\\udc00\"}"), std::string("\xef\xbb\xbf{}")}) {
    ExpectSameAsReference(text);
  }
  for (const auto& g : good) {
    rapidjson::Document fast, reference;
    std::string text = "{\"a\":\"" + g + "\"}";
    ASSERT_TRUE(detail::ParseLine(text, 64, "line 2", &fast).ok()) << text;
    ASSERT_TRUE(detail::ParseLineCheckingUtf8InRapidJson(text, 64, "line 2", &reference).ok());
    EXPECT_TRUE(fast == reference) << text;
  }
}

// An object of `n` members "k0", "k1", ..., its last one named "k{dup}" (a duplicate) when
// dup >= 0: duplicate keys in small objects are found pair by pair, in larger ones by sorting.
std::string Members(int n, int dup) {
  std::string out = "{";
  for (int i = 0; i < n; ++i) {
    int name = i == n - 1 && dup >= 0 ? dup : i;
    out += (i ? ",\"k" : "\"k") + std::to_string(name) + "\":" + std::to_string(i);
  }
  return out + "}";
}

// ParseLine builds the document from simdjson's parse when simdjson accepts the line; it must
// give what RapidJSON's own parse gives, or the same refusal, for every kind of value.
TEST_F(HostileTest, TheFastParseGivesTheReferenceDocumentOrItsRefusal) {
  const std::string lines[] = {
      R"({"a":1,"b":-1,"c":0,"d":-0,"e":-0.0,"f":1.0,"g":1e2,"h":1E-2,"i":0.1})",
      R"([2147483647,2147483648,-2147483648,-2147483649,4294967295,4294967296])",
      R"([9223372036854775807,9223372036854775808,-9223372036854775808,18446744073709551615])",
      R"([18446744073709551616,-9223372036854775809,123456789012345678901234567890])",
      R"([1e308,1e309,-1e309,1e-400,4.9e-324,2.2250738585072014e-308,0.30000000000000004])",
      R"([true,false,null,"",{},[],[[]],{"":{}}])",
      R"({"s":"tab\tnew\nquote\"back\\slash\/uni\u00e9\ud834\udd1e nul\u0000end"})",
      R"({"k":1,"k":2})",
      R"({"o":{"k":1,"j":[{"x":1,"x":1}]}})",
      "  {\"ws\" : [ 1 , 2 ] }  ",
      "{\"a\":1} x",
      "{\"a\":1}{}",
      "",
      " ",
      "{",
      "[1,]",
      "{\"a\":01}",
      "{\"a\":.5}",
      "{\"a\":1.}",
      "{\"a\":+1}",
      "{\"a\":NaN}",
      "{\"a\":Infinity}",
      "{\"a\":\"\t\"}",
      std::string("{\"a\":1}\0", 8),
      std::string("{\"a\":\"x\0y\"}", 11),
      "{\"a\":tru}",
      "{\"a\":nulll}",
      "\"just a string\"",
      "42",
      std::string(64, '[') + std::string(64, ']'),
      std::string(65, '[') + std::string(65, ']'),
      "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}",
      "{\"a\":" + std::string(64, '[') + std::string(64, ']') + "}",
      Members(16, -1),
      Members(16, 0),
      Members(17, -1),
      Members(17, 3),
      Members(40, 38),
      "{\"long\":\"" + std::string(70000, 'x') + "\",\"n\":1.5}",
  };
  for (const auto& text : lines) ExpectSameAsReference(text);
  // One number to a line, so that simdjson's refusal of one does not send the others the
  // RapidJSON way too: each is typed and rounded by both parsers. A zero with an exponent past
  // 22 once reached undefined behaviour in RapidJSON's conversion.
  for (const char* number : {"0e46",
                             "-0e46",
                             "0e-46",
                             "0.000e300",
                             "0e308",
                             "-0.0e-330",
                             "0.0000e-99999999999",
                             "1.8e308",
                             "-1.8e308",
                             "1.7976931348623157e308",
                             "1e-400",
                             "-1e-400",
                             "2e-324",
                             "3e-324",
                             "2.4703282292062328e-324",
                             "123.456e-2",
                             "1E+2",
                             "-9223372036854775809.0",
                             "4294967295.0",
                             "1e22",
                             "1e23",
                             "9007199254740993",
                             "-2147483648",
                             "2147483648",
                             "-0",
                             "0",
                             "1e0",
                             "0.1e1",
                             "00",
                             "-",
                             "1e",
                             "1.e5"}) {
    ExpectSameAsReference(std::string("[") + number + "]");
  }
  // A view with no data at all is refused as the empty line is; simdjson must not be handed
  // its null pointer (UBSan catches the copy from it).
  rapidjson::Document none, empty;
  Status a = detail::ParseLine(std::string_view(), 64, "line 2", &none);
  Status b = detail::ParseLine(std::string_view(""), 64, "line 2", &empty);
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(a.message(), b.message());
}

TEST_F(HostileTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep = Event(0).dump();
  std::string open(100000, '['), close(100000, ']');
  deep.insert(deep.size() - 1, R"(,"x":)" + open + close);
  std::string lines = WithEvent(0, deep);
  ExpectRefused(Encode(HonestManifest(lines), lines), "nested deeper than 32");
}

TEST_F(HostileTest, DecompressionBombsAreRefused) {
  ReadOptions small = Reading();
  small.limits.max_bytes = 64 << 10;
  small.limits.max_line_bytes = 16 << 10;
  std::string zeros(1 << 20, '0');
  ExpectRefused(Sealed(Frame(zeros)), "declares more than max_bytes", &small);
  // Streamed frames do not declare their size: the running total catches them.
  detail::FrameWriter streamed(3);
  ASSERT_TRUE(streamed.Add(zeros).ok());
  std::string bomb = Sealed(streamed.Finish().value());
  EXPECT_LT(bomb.size(), 1024u);
  ExpectRefused(bomb, "decompresses to more than max_bytes", &small);
  ReadOptions lines = Reading();
  lines.limits.max_line_bytes = 16 << 10;
  ExpectRefused(bomb, "line 1 is longer than max_line_bytes", &lines);
}

TEST_F(HostileTest, LongLinesAndLargeWindowsAreRefused) {
  ReadOptions o = Reading();
  o.limits.max_line_bytes = 1024;
  nlohmann::ordered_json e = Event(0);
  e["data"]["args"] = std::vector<std::string>(40, "0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(ParseBundle(WithEventJson(0, e), Reading()).ok());
  ExpectRefused(WithEventJson(0, e), "line 2 is longer than max_line_bytes (1024)", &o);
  std::string big(9 << 20, 'a');
  std::string wide = Sealed(Frame(HonestManifest("").ToJson().dump() + "\n" + big, true, 25, 1));
  ExpectRefused(wide, "zstd window larger than 2^23");
}

TEST_F(HostileTest, FramesWithoutChecksumsAndSkippableFramesAreRefused) {
  std::string manifest = base::CanonicalJson(HonestManifest(lines_).ToJson()) + "\n";
  ExpectRefused(Sealed(Frame(manifest, false) + Frame(lines_)), "zstd frame 1: has no checksum");
  const char raw[] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'a', 'b', 'c', 'd'};
  std::string skippable(raw, sizeof raw);
  ExpectRefused(Sealed(skippable + Frame(manifest) + Frame(lines_)),
                "zstd frame 1: not a zstd frame");
  ExpectRefused("", "empty file");
  ExpectRefused(Sealed("hello world"), "not a zstd frame");
}

TEST_F(HostileTest, EmptyLinesAreRefused) {
  std::string manifest = base::CanonicalJson(HonestManifest(lines_).ToJson()) + "\n";
  ExpectRefused(Sealed(Frame(manifest + "\n" + lines_)), "line 2: empty line");
}

// Lines are checked in batches of 1,024, half of each on a helper thread: the refusal is still
// the first one in file order, and a streamed read still gets every line, in order.
TEST_F(HostileTest, LinesCheckedOnTwoThreadsKeepFileOrder) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < 2500; ++i) {  // batches of events 0-1023, 1024-2047, 2048-2499
    auto e = Event(i % 8);
    e["event_id"] = base::NewUuidV7();
    lines.push_back(e.dump());
  }
  auto bundle = [this](const std::vector<std::string>& ls) {
    std::string text;
    for (const auto& l : ls) text += l + "\n";
    return Encode(HonestManifest(text), text);
  };
  std::vector<std::string> seen;
  ReadOptions o = Reading();
  o.on_event = [&](std::string_view line, int64_t) {
    seen.emplace_back(line);
    return Status::Ok();
  };
  ASSERT_TRUE(ParseBundle(bundle(lines), o).ok());
  EXPECT_EQ(seen, lines);

  // Event i is on line i + 2 (the manifest is line 1). Each batch is checked in chunks of 32
  // lines, on the helper and on this thread, while this thread takes the batch before it.
  auto with = [&](std::map<size_t, std::string> changed) {
    auto ls = lines;
    for (const auto& [i, line] : changed) ls[i] = line;
    return bundle(ls);
  };
  auto bad_data = [&](size_t i) {
    auto e = nlohmann::ordered_json::parse(lines[i]);
    e["data"] = 5;
    return e.dump();
  };
  const std::string why = ": \"data\" must be an object";
  ExpectRefused(with({{1100, bad_data(1100)}, {1800, bad_data(1800)}}), "line 1102" + why);
  ExpectRefused(with({{1700, bad_data(1700)}, {2400, bad_data(2400)}}), "line 1702" + why);
  ExpectRefused(with({{300, bad_data(300)}, {2100, bad_data(2100)}}), "line 302" + why);
  // A refusal that needs no parsing still comes after a parsed line's refusal before it.
  ExpectRefused(with({{1700, bad_data(1700)}, {1900, "{}"}}), "line 1702" + why);
  ExpectRefused(with({{1600, "{}"}, {1700, bad_data(1700)}}), "line 1602: does not start with");

  // A refusal while a batch is taken (here by on_event) wins over a bad line in the batch
  // being checked meanwhile, and nothing after it is taken.
  int taken = 0;
  ReadOptions staging = Reading();
  staging.on_event = [&](std::string_view, int64_t) {
    return ++taken == 1000 ? Status::IoError("staging is full") : Status::Ok();
  };
  auto stopped = ParseBundle(with({{1100, bad_data(1100)}}), staging);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().message(), "staging is full");
  EXPECT_EQ(taken, 1000);
}

// inspect FILE.gbx stages lines as they come (ReadOptions::on_event): the same lines, in
// order, with nothing kept, and every whole-bundle check still decides the result.
TEST_F(HostileTest, AStreamedReadGivesEveryLineAndIsRefusedLikeAHeldOne) {
  std::string streamed;
  ReadOptions o = Reading();
  o.on_event = [&](std::string_view line, int64_t recorded_ms) {
    EXPECT_GT(recorded_ms, 0);
    streamed.append(line).push_back('\n');
    return Status::Ok();
  };
  auto b = ParseBundle(good_, o);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(streamed, lines_);
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(EventText(b.value()), "");

  Manifest tampered = HonestManifest(lines_);
  tampered.events_sha256[0] = tampered.events_sha256[0] == 'a' ? 'b' : 'a';
  ExpectRefused(Encode(tampered, lines_), "events_sha256", &o);
  size_t first_end = lines_.find('\n') + 1;
  std::string twice = lines_ + lines_.substr(0, first_end);
  ExpectRefused(Encode(HonestManifest(twice), twice), "duplicate event_id", &o);

  int taken = 0;
  o.on_event = [&](std::string_view, int64_t) {
    return ++taken == 2 ? Status::IoError("staging is full") : Status::Ok();
  };
  auto stopped = ParseBundle(good_, o);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().message(), "staging is full");
  EXPECT_EQ(taken, 2);
}

}  // namespace
}  // namespace glassbox::replay::testing
