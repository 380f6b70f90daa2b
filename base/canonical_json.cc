#include "base/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

namespace glassbox::base {
namespace {

// UTF-8 to UTF-16 code units, so keys sort as RFC 8785 requires (astral characters sort by
// their surrogates, which differs from UTF-8 byte order).
std::u16string Utf16Units(const std::string& s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len > 1) cp = c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void Write(const nlohmann::json& v, std::string& out);

// A string with no quote, backslash or control character is written as it is; the rest go
// through nlohmann, whose escapes match RFC 8785's. Most keys and values take the short way,
// which skips building a json value and a serializer per string (the hashing hot path).
void WriteString(const std::string& s, std::string& out) {
  bool plain = std::none_of(s.begin(), s.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (!plain) {
    out += nlohmann::json(s).dump();
    return;
  }
  out.push_back('"');
  out += s;
  out.push_back('"');
}

void WriteMember(const std::string& key, const nlohmann::json& value, bool first,
                 std::string& out) {
  if (!first) out.push_back(',');
  WriteString(key, out);
  out.push_back(':');
  Write(value, out);
}

// An object's map keeps its keys in UTF-8 byte order, which is code point order. UTF-16
// order differs from it only where a surrogate (for U+10000 and above) meets U+E000-U+FFFF,
// so for keys without either (no byte from 0xEE up) the map's order is RFC 8785's, and the
// keys need no conversion and no sort: most objects hashed on the record path.
bool MapOrderIsUtf16Order(const nlohmann::json& v) {
  for (auto it = v.begin(); it != v.end(); ++it) {
    for (char c : it.key()) {
      if (static_cast<unsigned char>(c) >= 0xEE) return false;
    }
  }
  return true;
}

void WriteObject(const nlohmann::json& v, std::string& out) {
  out.push_back('{');
  if (MapOrderIsUtf16Order(v)) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      WriteMember(it.key(), it.value(), it == v.begin(), out);
    }
  } else {
    std::vector<std::pair<std::u16string, nlohmann::json::const_iterator>> keys;
    keys.reserve(v.size());
    for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(Utf16Units(it.key()), it);
    std::sort(keys.begin(), keys.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < keys.size(); ++i) {
      WriteMember(keys[i].second.key(), keys[i].second.value(), i == 0, out);
    }
  }
  out.push_back('}');
}

void Write(const nlohmann::json& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      WriteObject(v, out);
      return;
    case nlohmann::json::value_t::array:
      out.push_back('[');
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out.push_back(',');
        Write(v[i], out);
      }
      out.push_back(']');
      return;
    case nlohmann::json::value_t::number_float:
      out += EcmaNumber(v.get<double>());
      return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      // Integers travel as IEEE doubles in I-JSON; format them the same way.
      out += EcmaNumber(v.get<double>());
      return;
    case nlohmann::json::value_t::string:
      WriteString(v.get_ref<const std::string&>(), out);
      return;
    default:
      out += v.dump();  // booleans, null
  }
}

}  // namespace

std::string EcmaNumber(double value) {
  if (value == 0) return "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // shortest round-trip digits: d[.ddd]e±XX
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exponent = std::atoi(sci.c_str() + e + 1);
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int k = static_cast<int>(digits.size());
  int n = exponent + 1;  // position of the decimal point relative to the digits
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(-n, '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string CanonicalJson(const nlohmann::json& value) {
  std::string out;
  Write(value, out);
  return out;
}

}  // namespace glassbox::base
