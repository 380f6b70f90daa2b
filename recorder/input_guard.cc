#include "recorder/input_guard.h"

#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace glassbox::recorder {
namespace {

// Names what is wrong in words a person can act on. nlohmann's own messages quote the
// offending token, which may be private input, so they are never passed on.
std::string DescribeParseError(std::size_t position, const nlohmann::detail::exception& ex) {
  std::string what = ex.what();
  std::string at = " (at byte " + std::to_string(position) + ")";
  if (ex.id == 406) return "a number is out of range" + at;
  if (what.find("UTF-8") != std::string::npos) return "a string is not valid UTF-8" + at;
  if (what.find("surrogate") != std::string::npos) {
    return "a string has an unpaired UTF-16 surrogate escape" + at;
  }
  if (what.find("control character") != std::string::npos) {
    return "a string holds a raw control character (escape it)" + at;
  }
  return "not valid JSON" + at;
}

// One SAX pass that enforces the limits while nlohmann's DOM builder (which it forwards to)
// builds the value, so input is read once. The builder lives in nlohmann's detail namespace;
// Debian pins the version we build against.
class Guard : public nlohmann::json::json_sax_t {
 public:
  explicit Guard(nlohmann::json& out) : dom_(out, /*allow_exceptions=*/false) {}
  std::string problem;

  bool null() override { return Value() && dom_.null(); }
  bool boolean(bool v) override { return Value() && dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return Value() && dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return Value() && dom_.number_unsigned(v);
  }
  bool number_float(number_float_t v, const string_t& s) override {
    if (!std::isfinite(v)) return Fail("a number is out of range");
    return Value() && dom_.number_float(v, s);
  }
  bool string(string_t& s) override {
    if (s.find('\0') != std::string::npos) return Fail("a string contains NUL");
    return Value() && dom_.string(s);
  }
  bool binary(binary_t&) override { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t n) override { return Open(true) && dom_.start_object(n); }
  bool key(string_t& k) override {
    // Never name the key: inside a hashed or dropped value it is itself private input.
    if (!keys_.back().insert(k).second) return Fail("an object has a duplicate key");
    if (k.find('\0') != std::string::npos) return Fail("a key contains NUL");
    return dom_.key(k);
  }
  bool end_object() override { return Close() && dom_.end_object(); }
  bool start_array(std::size_t n) override { return Open(false) && dom_.start_array(n); }
  bool end_array() override { return Close() && dom_.end_array(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    return Fail(DescribeParseError(position, ex));
  }

 private:
  bool Fail(std::string why) {
    if (problem.empty()) problem = std::move(why);
    return false;
  }
  bool Value() {
    if (++values_ > kMaxFields) return Fail("more than " + std::to_string(kMaxFields) + " values");
    return true;
  }
  bool Open(bool object) {
    if (keys_.empty() && !object) return Fail("the event data must be a JSON object");
    if (static_cast<int>(keys_.size()) >= kMaxDepth) {
      return Fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    keys_.emplace_back();
    return Value();
  }
  bool Close() {
    keys_.pop_back();
    return true;
  }
  nlohmann::detail::json_sax_dom_parser<nlohmann::json> dom_;
  std::vector<std::set<std::string>> keys_;
  size_t values_ = 0;
};

}  // namespace

Status ParseInput(std::string_view text, std::string_view what, nlohmann::json* out) {
  std::string prefix(what);
  if (text.size() > kMaxInputBytes) {
    return Status::InvalidEvent(prefix + ": input is larger than " +
                                std::to_string(kMaxInputBytes) + " bytes");
  }
  Guard guard(*out);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(text, &guard);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) {
    return Status::InvalidEvent(prefix + ": " +
                                (guard.problem.empty() ? "not valid JSON" : guard.problem));
  }
  if (!out->is_object()) {
    return Status::InvalidEvent(prefix + ": the event data must be a JSON object");
  }
  return Status::Ok();
}

}  // namespace glassbox::recorder
