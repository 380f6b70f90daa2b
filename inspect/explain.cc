// inspect explain: what was done to each field of one stored event.
#include <sstream>

#include "base/canonical_json.h"
#include "base/digest.h"
#include "inspect/views.h"

namespace glassbox::inspect {
namespace {

using schema::Node;
using schema::Privacy;

std::string Treatment(Privacy p) {
  switch (p) {
    case Privacy::kClear:
      return "kept in clear text (scrubbed for secrets)";
    case Privacy::kMd5:
      return "hashed: md5";
    case Privacy::kSha256:
      return "hashed: sha256";
    case Privacy::kHmacSha256:
      return "hashed: hmac-sha256 with this install's secret key";
    case Privacy::kDrop:
      return "dropped: accepted on input, never stored";
  }
  return "?";
}

void Walk(const Node& node, const nlohmann::json* value, const std::string& path, int depth,
          Json& fields) {
  if (depth > 64) return;  // recursive schemas: stored data is finite, but stay bounded
  if (node.kind == Node::Kind::kLeaf) {
    Json f = {{"path", path}, {"privacy", schema::PrivacyName(node.privacy)},
              {"treatment", value ? Treatment(node.privacy) : (node.privacy == Privacy::kDrop
                                                                   ? Treatment(node.privacy)
                                                                   : "absent")}};
    if (value) f["value"] = Json::parse(value->dump());
    fields.push_back(std::move(f));
    return;
  }
  if (!value || value->is_null()) {
    if (value) fields.push_back({{"path", path}, {"privacy", "-"}, {"treatment", "null"}});
    return;
  }
  if (node.kind == Node::Kind::kArray) {
    for (size_t i = 0; i < value->size(); ++i) {
      Walk(*node.element, &(*value)[i], path + "[" + std::to_string(i) + "]", depth + 1, fields);
    }
    return;
  }
  for (const auto& [name, child] : node.properties) {
    auto it = value->find(name);
    Walk(*child, it == value->end() ? nullptr : &*it, path.empty() ? name : path + "." + name,
         depth + 1, fields);
  }
  if (!node.element) return;
  for (auto it = value->begin(); it != value->end(); ++it) {
    if (!node.properties.count(it.key())) {
      Walk(*node.element, &it.value(), path.empty() ? it.key() : path + "." + it.key(), depth + 1,
           fields);
    }
  }
}

}  // namespace

Result<Json> ExplainJson(const journal::Journal& journal, const schema::Registry& registry,
                         const std::string& event_id) {
  nlohmann::json event;
  journal::EventState state = journal::EventState::kPending;
  std::string needle = "{\"event_id\":\"" + event_id + "\"";
  GLASSBOX_RETURN_IF_ERROR(journal.Scan({}, [&](const journal::StoredEvent& e) {
    if (e.line.compare(0, needle.size(), needle) != 0) return true;
    event = nlohmann::json::parse(e.line, nullptr, false);
    state = e.state;
    return false;
  }));
  if (event.is_null() || event.is_discarded()) {
    return Status::NotFound("no event " + event_id + " in the journal");
  }
  std::string uri = event.value("schema", "");
  auto schema = registry.Find(uri);
  if (!schema.ok()) return schema.status();
  Json fields = Json::array();
  Walk(schema.value()->root(), &event["data"], "", 0, fields);
  Json out = {{"event_id", event_id},
              {"schema", uri},
              {"schema_version", schema.value()->key().version},
              {"phase", event.value("phase", "")},
              {"state", journal::StateName(state)},
              {"recorded_at", event.value("recorded_at", "")},
              {"fields", fields},
              {"redactions", event.contains("redactions") ? Json::parse(event["redactions"].dump())
                                                          : Json::object()}};
  return out;
}

std::string ExplainText(const Json& e) {
  std::ostringstream out;
  out << "event   " << e["event_id"].get<std::string>() << " (" << e["phase"].get<std::string>()
      << ", " << e["state"].get<std::string>() << ")\n"
      << "schema  " << e["schema"].get<std::string>() << "\n"
      << "at      " << e["recorded_at"].get<std::string>() << "\n\n";
  for (const auto& f : e["fields"]) {
    out << f["path"].get<std::string>() << "\n    " << f["treatment"].get<std::string>() << "\n";
    if (f.contains("value")) {
      std::string v = f["value"].dump();
      if (v.size() > 70) v = v.substr(0, 67) + "...";
      out << "    sent: " << v << "\n";
    }
  }
  if (!e["redactions"].empty()) out << "\nredactions: " << e["redactions"].dump() << "\n";
  return out.str();
}

Result<Json> HashJson(const std::string& value, const std::string& algo, bool json_input,
                      const std::string& hmac_key) {
  std::string bytes = value;
  if (json_input) {
    auto parsed = nlohmann::json::parse(value, nullptr, false);
    if (parsed.is_discarded()) return Status::InvalidArgument("--json: VALUE is not valid JSON");
    bytes = base::CanonicalJson(parsed);
  }
  std::string digest;
  if (algo == "md5") digest = base::Md5Hex(bytes);
  else if (algo == "sha256") digest = base::Sha256Hex(bytes);
  else if (algo == "hmac-sha256") digest = base::HmacSha256Hex(hmac_key, bytes);
  else return Status::InvalidArgument("--algo must be md5, sha256 or hmac-sha256");
  return Json{{"algorithm", algo}, {"input_kind", json_input ? "json" : "string"},
              {"digest", digest}};
}

}  // namespace glassbox::inspect
