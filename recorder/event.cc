#include "recorder/event.h"

#include "schema/rapidjson.h"  // first: configures RapidJSON

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include "recorder/input_guard.h"

namespace glassbox::recorder {
namespace {

// Writes an nlohmann value as nlohmann's dump() would, byte for byte, in ~60% of its time
// (bench/json_bench): RapidJSON's writer does the work, and the two things it spells
// differently go through nlohmann: numbers with a fraction or an exponent, and strings holding
// a control character (RapidJSON writes \u001F where nlohmann writes \u001f).
class DataWriter {
 public:
  explicit DataWriter(rapidjson::StringBuffer& out) : writer_(out) {}

  void Write(const nlohmann::json& v) {
    switch (v.type()) {
      case nlohmann::json::value_t::object:
        writer_.StartObject();
        for (const auto& [key, value] : v.get_ref<const nlohmann::json::object_t&>()) {
          WriteString(key, /*key=*/true);
          Write(value);
        }
        writer_.EndObject();
        return;
      case nlohmann::json::value_t::array:
        writer_.StartArray();
        for (const auto& item : v.get_ref<const nlohmann::json::array_t&>()) Write(item);
        writer_.EndArray();
        return;
      case nlohmann::json::value_t::string:
        WriteString(v.get_ref<const std::string&>(), /*key=*/false);
        return;
      case nlohmann::json::value_t::boolean:
        writer_.Bool(v.get<bool>());
        return;
      case nlohmann::json::value_t::number_integer:
        writer_.Int64(v.get<int64_t>());
        return;
      case nlohmann::json::value_t::number_unsigned:
        writer_.Uint64(v.get<uint64_t>());
        return;
      case nlohmann::json::value_t::null:
        writer_.Null();
        return;
      default:  // doubles (and nlohmann's binary and discarded values, never in an event)
        Raw(v.dump(), rapidjson::kNumberType);
        return;
    }
  }

 private:
  void WriteString(const std::string& s, bool key) {
    auto length = static_cast<rapidjson::SizeType>(s.size());
    bool control = std::any_of(s.begin(), s.end(), [](char c) { return c >= 0 && c < 0x20; });
    if (control) {
      Raw(nlohmann::json(s).dump(), rapidjson::kStringType);
    } else if (key) {
      writer_.Key(s.data(), length);
    } else {
      writer_.String(s.data(), length);
    }
  }
  void Raw(const std::string& json, rapidjson::Type type) {
    writer_.RawValue(json.data(), json.size(), type);
  }

  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// `data` as nlohmann's dump() writes it. Every string in it is valid UTF-8 by construction
// (parsed input, digests, scrubber markers), which RapidJSON's writer does not check and
// nlohmann's does: the text written is checked at once, and should it not be valid, nlohmann
// writes it (and refuses it as it always has).
void AppendData(std::string& out, const nlohmann::json& data) {
  thread_local rapidjson::StringBuffer written;  // kept up to kKeptBufferBytes
  written.Clear();
  DataWriter(written).Write(data);
  if (simdjson::validate_utf8(written.GetString(), written.GetSize())) {
    out.append(written.GetString(), written.GetSize());
  } else {
    out += data.dump();
  }
  if (written.GetSize() > kKeptBufferBytes) written = rapidjson::StringBuffer();
}

// The header's strings (an id, a schema URI, a phase, a timestamp) are plain ASCII and need
// no escaping; those are quoted as they are, anything else goes through nlohmann.
void AppendQuoted(std::string& out, const std::string& value) {
  bool plain = true;
  for (char c : value) {
    plain = plain && c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  }
  if (!plain) {
    out += nlohmann::json(value).dump();
    return;
  }
  out += '"';
  out += value;
  out += '"';
}

void AddString(std::string& out, const char* key, const std::string& value) {
  out += ",\"";
  out += key;
  out += "\":";
  AppendQuoted(out, value);
}
}  // namespace

std::string BuildEventLine(const EventParts& p) {
  std::string out;
  out.reserve(1024);
  out += "{\"event_id\":";
  AppendQuoted(out, p.event_id);
  AddString(out, "schema", p.schema);
  AddString(out, "phase", p.phase);
  if (!p.span_id.empty()) AddString(out, "span_id", p.span_id);
  AddString(out, "recorded_at", p.recorded_at);
  out += ",\"data\":";
  AppendData(out, *p.data);
  out += ",\"context\":";
  out += *p.context_json;
  if (p.final_state) {
    out += ",\"final\":";
    out += p.final_state->dump();
  }
  if (p.redactions && !p.redactions->empty()) {
    out += ",\"redactions\":";
    out += nlohmann::json(*p.redactions).dump();
  }
  out += "}";
  return out;
}

}  // namespace glassbox::recorder
