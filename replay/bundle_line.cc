// One bundle line parsed under limits. A bundle comes from another machine, so its JSON is
// checked while it is parsed: one pass builds the value and enforces the limits.
#include "replay/bundle_internal.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cmath>

namespace glassbox::replay::detail {
namespace {

using Json = nlohmann::json;
using DomBuilder = nlohmann::detail::json_sax_dom_parser<Json>;

// nlohmann's own SAX-to-DOM builder, with the checks in front of it. Depth is refused before
// the deeper value is opened. A duplicate key is not seen one by one: the builder keeps the
// last copy, so the value it built holds fewer keys than the text named exactly when some
// object repeated one, and ParseLine() compares the two counts once at the end.
class CheckedBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  CheckedBuilder(Json* out, int max_depth) : dom_(*out, false), max_depth_(max_depth) {}
  std::string problem;
  int64_t keys_seen = 0;

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) {
    return (std::isfinite(v) || Fail("a number is out of range")) && dom_.number_float(v, s);
  }
  bool string(string_t& v) { return dom_.string(v); }
  bool binary(binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t n) { return Open() && dom_.start_object(n); }
  bool key(string_t& k) {
    ++keys_seen;
    return dom_.key(k);
  }
  bool end_object() { return Close() && dom_.end_object(); }
  bool start_array(std::size_t n) { return Open() && dom_.start_array(n); }
  bool end_array() { return Close() && dom_.end_array(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    // nlohmann's own message quotes the offending token, which may be an event value.
    return Fail("not valid JSON (at byte " + std::to_string(position) + ")");
  }

 private:
  bool Fail(std::string why) {
    if (problem.empty()) problem = std::move(why);
    return false;
  }
  bool Open() {
    return ++depth_ <= max_depth_ ||
           Fail("nested deeper than " + std::to_string(max_depth_) + " levels");
  }
  bool Close() {
    --depth_;
    return true;
  }
  DomBuilder dom_;
  int max_depth_;
  int depth_ = 0;
};

int64_t KeysHeld(const Json& v) {
  int64_t n = v.is_object() ? static_cast<int64_t>(v.size()) : 0;
  if (v.is_structured()) {
    for (const Json& child : v) n += KeysHeld(child);
  }
  return n;
}

// The same checks in front of RapidJSON's own document builder (the document is the
// handler), for event lines. Duplicate keys are looked for in the built value, one object at
// a time, since RapidJSON keeps every copy.
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
  bool RawNumber(const Ch*, rapidjson::SizeType, bool) { return Fail("not valid JSON"); }
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
  std::vector<std::string_view> names;
  names.reserve(v.MemberCount());
  for (const auto& m : v.GetObject()) {
    if (HasDuplicateKey(m.value)) return true;
    names.push_back(NameOf(m));
  }
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

}  // namespace

Status ParseLine(std::string_view line, int max_depth, std::string_view what, Json* out) {
  *out = Json();
  CheckedBuilder builder(out, max_depth);
  bool ok = false;
  try {
    ok = Json::sax_parse(line, &builder);
  } catch (const std::exception&) {
    ok = false;  // e.g. out of memory: described below without quoting the input
  }
  if (ok && KeysHeld(*out) != builder.keys_seen) {
    builder.problem = "an object has a duplicate key";
    ok = false;
  }
  if (!ok) {
    *out = Json();
    return Status::InvalidEvent(std::string(what) + ": " +
                                (builder.problem.empty() ? "not valid JSON" : builder.problem));
  }
  return Status::Ok();
}

Status ParseEventLine(std::string_view line, int max_depth, std::string_view what,
                      rapidjson::Document* out) {
  CheckedRapidBuilder builder(out, max_depth);
  rapidjson::MemoryStream text(line.data(), line.size());
  rapidjson::ParseResult parsed;
  auto generate = [&](rapidjson::Document&) {
    constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag |
                                rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag;
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

}  // namespace glassbox::replay::detail
