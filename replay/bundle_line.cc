// One bundle line parsed under limits. A bundle comes from another machine, so its JSON is
// checked while it is parsed: one pass builds the value and enforces the limits.
#include <cmath>

#include "replay/bundle_internal.h"

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

}  // namespace glassbox::replay::detail
