// One bundle line parsed under limits. A bundle comes from another machine, so its JSON is
// checked while it is parsed, by one mechanism for the manifest and the events alike.
#include "replay/bundle_internal.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace glassbox::replay::detail {
namespace {

// The checks in front of RapidJSON's own document builder (the document is the handler):
// depth is refused before the deeper value opens. Duplicate keys are looked for in the built
// value, one object at a time, since RapidJSON keeps every copy.
class CheckedRapidBuilder {
 public:
  using Ch = char;
  CheckedRapidBuilder(rapidjson::Document* doc, int max_depth) : doc_(doc), max_depth_(max_depth) {}
  std::string problem;

  bool Null() { return doc_->Null(); }
  bool Bool(bool v) { return doc_->Bool(v); }
  bool Int(int v) { return doc_->Int(v); }
  bool Uint(unsigned v) { return doc_->Uint(v); }
  bool Int64(int64_t v) { return doc_->Int64(v); }
  bool Uint64(uint64_t v) { return doc_->Uint64(v); }
  bool Double(double v) {
    return (std::isfinite(v) || Fail("a number is out of range")) && doc_->Double(v);
  }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool) { return Number({s, n}); }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) { return doc_->String(s, n, copy); }
  bool StartObject() { return Open() && doc_->StartObject(); }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) { return doc_->Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { return Close() && doc_->EndObject(n); }
  bool StartArray() { return Open() && doc_->StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return Close() && doc_->EndArray(n); }

  bool Fail(std::string why) {
    if (problem.empty()) problem = std::move(why);
    return false;
  }

 private:
  // RapidJSON's full-precision conversion hands a zero significand with an exponent past 22
  // ("0e46") to code that counts the leading zeros of 0: undefined, and UBSan stops there. So
  // the reader passes each number's text, whose syntax and range it has checked, and it is
  // typed here as the reader types it: Uint, Int, Uint64 and Int64 by the same bounds, else a
  // double, correctly rounded by std::from_chars as by simdjson and RapidJSON's own.
  bool Number(std::string_view text) {
    bool minus = text.starts_with('-');
    std::string_view digits = text.substr(minus ? 1 : 0);
    uint64_t magnitude = 0;
    const char* end = digits.data() + digits.size();
    if (digits.find_first_of(".eE") == std::string_view::npos &&
        std::from_chars(digits.data(), end, magnitude).ec == std::errc()) {
      if (!minus && magnitude <= UINT32_MAX) return doc_->Uint(static_cast<unsigned>(magnitude));
      if (!minus) return doc_->Uint64(magnitude);
      if (magnitude <= 0x80000000u) {
        return doc_->Int(static_cast<int>(0u - static_cast<unsigned>(magnitude)));
      }
      if (magnitude <= 0x8000000000000000u)
        return doc_->Int64(static_cast<int64_t>(0u - magnitude));
    }
    double value = 0;
    auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) {
      value = Underflows(text) ? 0.0 : HUGE_VAL;
      if (minus) value = -value;
    } else if (ec != std::errc() || stop != text.data() + text.size()) {
      return Fail("not valid JSON");
    }
    return Double(value);
  }

  // Whether a number out of a double's range is too small rather than too large: its first
  // significant digit, moved by the exponent, lies below the units place.
  static bool Underflows(std::string_view text) {
    size_t e = text.find_first_of("eE");
    std::string_view mantissa = text.substr(0, e);
    int64_t exponent = 0;  // saturated: RapidJSON takes a negative exponent of any length
    if (e != std::string_view::npos) {
      std::string_view power = text.substr(e + 1);
      bool negative = power.starts_with('-');
      if (negative || power.starts_with('+')) power.remove_prefix(1);
      for (char c : power) exponent = std::min<int64_t>(exponent * 10 + (c - '0'), 1'000'000'000);
      if (negative) exponent = -exponent;
    }
    size_t point = std::min(mantissa.find('.'), mantissa.size());
    size_t first = mantissa.find_first_of("123456789");
    auto place = first < point ? static_cast<int64_t>(point - first - 1)
                               : -static_cast<int64_t>(first - point);
    return place + exponent < 0;
  }

  bool Open() {
    return ++depth_ <= max_depth_ ||
           Fail("nested deeper than " + std::to_string(max_depth_) + " levels");
  }
  bool Close() {
    --depth_;
    return true;
  }
  rapidjson::Document* doc_;
  int max_depth_;
  int depth_ = 0;
};

std::string_view NameOf(const rapidjson::Value::Member& m) {
  return {m.name.GetString(), m.name.GetStringLength()};
}

// Depth is bounded by max_depth (checked while parsing), so recursion is too.
bool HasDuplicateKey(const rapidjson::Value& v) {
  if (v.IsArray()) {
    return std::any_of(v.Begin(), v.End(),
                       [](const auto& child) { return HasDuplicateKey(child); });
  }
  if (!v.IsObject()) return false;
  for (const auto& m : v.GetObject()) {
    if (HasDuplicateKey(m.value)) return true;
  }
  // An event's objects have a handful of members: comparing each pair allocates nothing,
  // where sorting a list of the names cost an allocation per object.
  constexpr rapidjson::SizeType kPairwise = 16;
  auto members = v.GetObject();
  if (v.MemberCount() <= kPairwise) {
    for (auto a = members.begin(); a != members.end(); ++a) {
      for (auto b = a + 1; b != members.end(); ++b) {
        if (NameOf(*a) == NameOf(*b)) return true;
      }
    }
    return false;
  }
  std::vector<std::string_view> names;
  names.reserve(v.MemberCount());
  for (const auto& m : members) names.push_back(NameOf(m));
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

// Numbers come as text and are converted by CheckedRapidBuilder::Number.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
constexpr unsigned kValidateUtf8 = rapidjson::kParseValidateEncodingFlag;

template <unsigned kFlags>
Status ParseLineWith(std::string_view line, int max_depth, std::string_view what,
                     rapidjson::Document* out) {
  CheckedRapidBuilder builder(out, max_depth);
  rapidjson::MemoryStream text(line.data(), line.size());
  rapidjson::ParseResult parsed;
  auto generate = [&](rapidjson::Document&) {
    thread_local rapidjson::Reader reader;  // keeps its parse stack from line to line
    parsed = reader.Parse<kFlags>(text, builder);
    return !parsed.IsError();
  };
  bool ok = false;
  try {
    out->Populate(generate);
    ok = !parsed.IsError();
  } catch (const std::exception&) {
    ok = false;  // out of memory, or a RapidJSON assertion (schema/rapidjson.h): a value here
  }
  // A NUL byte reads as the end of a MemoryStream: what follows it must not be ignored.
  if (ok && text.Tell() != line.size()) {
    ok = builder.Fail("not valid JSON (at byte " + std::to_string(text.Tell()) + ")");
  }
  if (ok && HasDuplicateKey(*out)) ok = builder.Fail("an object has a duplicate key");
  if (!ok && builder.problem.empty()) {
    builder.Fail("not valid JSON (at byte " + std::to_string(parsed.Offset()) + ")");
  }
  if (!ok) {
    out->SetNull();
    return Status::InvalidEvent(std::string(what) + ": " + builder.problem);
  }
  return Status::Ok();
}

// Builds `e` into `out` as RapidJSON's reader would have: the same value constructors, so
// the same number types (simdjson's int64 and uint64 are what the reader's Int, Uint, Int64
// and Uint64 make of an integer, and a number with a fraction or an exponent is a double in
// both). False at a container nested deeper than max_depth.
bool Build(simdjson::dom::element e, int depth, int max_depth, rapidjson::Value* out,
           rapidjson::Document::AllocatorType& alloc) {
  using Type = simdjson::dom::element_type;
  switch (e.type()) {
    case Type::ARRAY: {
      simdjson::dom::array items;
      if (e.get_array().get(items) || depth + 1 > max_depth) return false;
      out->SetArray();
      out->Reserve(static_cast<rapidjson::SizeType>(items.size()), alloc);
      for (simdjson::dom::element child : items) {
        rapidjson::Value value;
        if (!Build(child, depth + 1, max_depth, &value, alloc)) return false;
        out->PushBack(value, alloc);
      }
      return true;
    }
    case Type::OBJECT: {
      simdjson::dom::object members;
      if (e.get_object().get(members) || depth + 1 > max_depth) return false;
      out->SetObject();
      for (simdjson::dom::key_value_pair member : members) {
        rapidjson::Value name(member.key.data(),
                              static_cast<rapidjson::SizeType>(member.key.size()), alloc);
        rapidjson::Value value;
        if (!Build(member.value, depth + 1, max_depth, &value, alloc)) return false;
        out->AddMember(name, value, alloc);
      }
      return true;
    }
    case Type::INT64:
      out->SetInt64(e.get_int64().value_unsafe());
      return true;
    case Type::UINT64:
      out->SetUint64(e.get_uint64().value_unsafe());
      return true;
    case Type::DOUBLE:
      out->SetDouble(e.get_double().value_unsafe());  // finite: simdjson refuses the rest
      return true;
    case Type::STRING: {
      std::string_view text = e.get_string().value_unsafe();
      out->SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), alloc);
      return true;
    }
    case Type::BOOL:
      out->SetBool(e.get_bool().value_unsafe());
      return true;
    case Type::NULL_VALUE:
      out->SetNull();
      return true;
  }
  return false;
}

// simdjson parses a line in about a third of RapidJSON's time, and its value is then built
// into the same RapidJSON document. False when simdjson refuses the line or the document
// might differ (too deep, a duplicate key): the RapidJSON way then decides, and words the
// refusal.
bool ParseLineFast(std::string_view line, int max_depth, rapidjson::Document* out) {
  if (line.empty()) return false;  // simdjson would copy from a view's null data
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(line.data(), line.size(), /*realloc_if_needed=*/true).get(root)) return false;
  bool built = false;
  try {
    built = Build(root, 0, max_depth, out, out->GetAllocator());
  } catch (const std::exception&) {
    built = false;  // out of memory, or a RapidJSON assertion
  }
  return built && !HasDuplicateKey(*out);
}

}  // namespace

// RapidJSON checking UTF-8 as it copies each string was an eighth of reading a bundle;
// simdjson checks a whole line many times faster, and parses it faster too. A line it refuses
// is parsed with RapidJSON's own checks, which find the same bad byte and word the refusal as
// before (fuzz_bundle compares the two on every input).
Status ParseLine(std::string_view line, int max_depth, std::string_view what,
                 rapidjson::Document* out) {
  // simdjson's parser keeps buffers of about 13 bytes per byte of the longest line it has
  // parsed (tape, structure indexes, strings), on each thread: a line of max_line_bytes
  // (1 MiB) would hold ~13 MiB per thread.
  // Events are a few hundred bytes; longer lines go the RapidJSON way.
  constexpr size_t kFastLineBytes = 64 << 10;
  if (simdjson::validate_utf8(line.data(), line.size())) {
    if (line.size() <= kFastLineBytes && ParseLineFast(line, max_depth, out)) {
      return Status::Ok();
    }
    return ParseLineWith<kParseFlags>(line, max_depth, what, out);
  }
  return ParseLineWith<kParseFlags | kValidateUtf8>(line, max_depth, what, out);
}

Status ParseLineCheckingUtf8InRapidJson(std::string_view line, int max_depth, std::string_view what,
                                        rapidjson::Document* out) {
  return ParseLineWith<kParseFlags | kValidateUtf8>(line, max_depth, what, out);
}

Status ParseLine(std::string_view line, int max_depth, std::string_view what, nlohmann::json* out) {
  rapidjson::Document checked;
  GLASSBOX_RETURN_IF_ERROR(ParseLine(line, max_depth, what, &checked));
  // The line passed every check above; nlohmann only builds the value the caller wants.
  *out = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return Status::InvalidEvent(std::string(what) + ": not valid JSON");
  return Status::Ok();
}

}  // namespace glassbox::replay::detail
