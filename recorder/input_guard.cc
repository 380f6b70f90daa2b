#include "recorder/input_guard.h"

#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace glassbox::recorder {
namespace {

// A SAX pass that enforces the limits without building anything; nlohmann's own parser
// then builds the value only from input that passed.
class Guard : public nlohmann::json::json_sax_t {
 public:
  std::string problem;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t v, const string_t&) override {
    if (!std::isfinite(v)) return Fail("a number is out of range");
    return Value();
  }
  bool string(string_t& s) override {
    if (s.find('\0') != std::string::npos) return Fail("a string contains NUL");
    return Value();
  }
  bool binary(binary_t&) override { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) override { return Open(true); }
  bool key(string_t& k) override {
    // Never name the key: inside a hashed or dropped value it is itself private input.
    if (!keys_.back().insert(k).second) return Fail("an object has a duplicate key");
    if (k.find('\0') != std::string::npos) return Fail("a key contains NUL");
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    return Fail("not valid JSON (at byte " + std::to_string(position) + ")");
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
  Guard guard;
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
  *out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    return Status::InvalidEvent(prefix + ": the event data must be a JSON object");
  }
  return Status::Ok();
}

}  // namespace glassbox::recorder
