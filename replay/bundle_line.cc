// One bundle line parsed under limits. A bundle comes from another machine, so its JSON is
// checked before any of it is built into memory.
#include <cmath>
#include <set>
#include <vector>

#include "replay/bundle_internal.h"

namespace glassbox::replay::detail {
namespace {

// A SAX pass that builds nothing; nlohmann's parser builds the value only after it passed.
class Shape : public nlohmann::json::json_sax_t {
 public:
  explicit Shape(int max_depth) : max_depth_(max_depth) {}
  std::string problem;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t v, const string_t&) override {
    return std::isfinite(v) || Fail("a number is out of range");
  }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t& k) override {
    return keys_.back().insert(k).second || Fail("an object has a duplicate key");
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    // nlohmann's own message quotes the offending token, which may be an event value.
    return Fail("not valid JSON (at byte " + std::to_string(position) + ")");
  }

 private:
  bool Fail(std::string why) {
    if (problem.empty()) problem = std::move(why);
    return false;
  }
  bool Open() {
    if (static_cast<int>(keys_.size()) >= max_depth_) {
      return Fail("nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    keys_.emplace_back();  // arrays get an (unused) entry too, so Close() can always pop
    return true;
  }
  bool Close() {
    keys_.pop_back();
    return true;
  }
  int max_depth_;
  std::vector<std::set<std::string>> keys_;
};

}  // namespace

Status ParseLine(std::string_view line, int max_depth, std::string_view what, nlohmann::json* out) {
  Shape shape(max_depth);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(line, &shape);
    if (ok) *out = nlohmann::json::parse(line);
  } catch (const std::exception&) {
    ok = false;  // e.g. invalid UTF-8: described below without quoting the input
  }
  if (!ok) {
    return Status::InvalidEvent(std::string(what) + ": " +
                                (shape.problem.empty() ? "not valid JSON" : shape.problem));
  }
  return Status::Ok();
}

}  // namespace glassbox::replay::detail
