// The privacy audit: collects the stored digests of every hashed field, then hashes the
// built-in dictionary with each field's algorithm and reports which digests it reproduces.
#include <simdjson.h>

#include <algorithm>
#include <iomanip>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "inspect/privacy.h"

namespace glassbox::inspect {
namespace {

using schema::Node;
using schema::Privacy;

bool IsHashed(Privacy p) {
  return p == Privacy::kMd5 || p == Privacy::kSha256 || p == Privacy::kHmacSha256;
}

// How Collector and AuditPrivacy read a parsed event, for both parsers: simdjson's DOM (every
// line glassbox stored) and nlohmann (a line simdjson refuses, e.g. an integer over 64 bits).
bool IsObject(const nlohmann::json& v) { return v.is_object(); }
bool IsObject(simdjson::dom::element v) { return v.is_object(); }
bool IsArray(const nlohmann::json& v) { return v.is_array(); }
bool IsArray(simdjson::dom::element v) { return v.is_array(); }
const std::string* StringOf(const nlohmann::json& v) {
  return v.is_string() ? &v.get_ref<const std::string&>() : nullptr;
}
std::optional<std::string_view> StringOf(simdjson::dom::element v) {
  if (!v.is_string()) return std::nullopt;
  return v.get_string().value_unsafe();
}
template <class Visit>
void ForEachMember(const nlohmann::json& v, Visit visit) {
  for (auto it = v.begin(); it != v.end(); ++it) visit(std::string_view(it.key()), it.value());
}
template <class Visit>
void ForEachMember(simdjson::dom::element v, Visit visit) {
  // Held in a local: iterating the temporary result directly would outlive it.
  simdjson::dom::object object = v.get_object().value_unsafe();
  for (auto member : object) visit(member.key, member.value);
}
template <class Visit>
void ForEachItem(const nlohmann::json& v, Visit visit) {
  for (const auto& item : v) visit(item);
}
template <class Visit>
void ForEachItem(simdjson::dom::element v, Visit visit) {
  simdjson::dom::array array = v.get_array().value_unsafe();
  for (auto item : array) visit(item);
}
const nlohmann::json* MemberOf(const nlohmann::json& v, const char* key) {
  auto it = v.find(key);
  return it == v.end() ? nullptr : &*it;
}
// The last of duplicate keys, as nlohmann keeps it (glassbox never stores duplicates: recording
// and import refuse them; inside `data` a row with duplicates has every copy audited).
std::optional<simdjson::dom::element> MemberOf(simdjson::dom::element v, const char* key) {
  std::optional<simdjson::dom::element> last;
  simdjson::dom::object object = v.get_object().value_unsafe();
  for (auto member : object) {
    if (member.key == std::string_view(key)) last = member.value;
  }
  return last;
}
std::optional<int64_t> IntegerOf(const nlohmann::json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  return v.get<int64_t>();
}
std::optional<int64_t> IntegerOf(simdjson::dom::element v) {
  if (v.is_int64()) return v.get_int64().value_unsafe();
  if (v.is_uint64()) return static_cast<int64_t>(v.get_uint64().value_unsafe());
  return std::nullopt;
}

// Walks stored data alongside the schema's privacy plan and files each hashed value under the
// field's path (named as Schema::Fields() names it).
class Collector {
 public:
  using Fields = std::map<std::pair<std::string, std::string>, HashedFieldAudit>;
  explicit Collector(Fields& fields) : fields_(fields) {}

  template <class Value>
  void Walk(const schema::Schema& s, const Node& node, const Value& v, const std::string& path) {
    switch (node.kind) {
      case Node::Kind::kLeaf:
        if (auto text = StringOf(v); IsHashed(node.privacy) && text) {
          Add(s, node.privacy, path, *text);
        }
        return;
      case Node::Kind::kObject:
        if (!IsObject(v)) return;
        ForEachMember(v, [&](std::string_view key, const auto& value) {
          auto named = node.properties.find(std::string(key));
          if (named != node.properties.end()) {
            Walk(s, *named->second, value,
                 path.empty() ? std::string(key) : path + "." + std::string(key));
          } else if (node.element) {
            Walk(s, *node.element, value, path + ".*");
          }
        });
        return;
      case Node::Kind::kArray:
        if (!IsArray(v)) return;
        ForEachItem(v, [&](const auto& item) { Walk(s, *node.element, item, path + "[]"); });
        return;
    }
  }

 private:
  void Add(const schema::Schema& s, Privacy p, const std::string& path, std::string_view v) {
    auto& f = fields_[{s.uri(), path}];
    if (f.schema.empty()) {
      f.schema = s.uri();
      f.field = path;
      f.privacy = p;
    }
    ++f.values;
    ++f.distinct[std::string(v)];
  }
  Fields& fields_;
};

// Every hashed field a schema declares, so fields without stored values are listed too.
void DeclareFields(const schema::Schema& s, Collector::Fields& fields) {
  for (const auto& info : s.Fields()) {
    if (!IsHashed(info.privacy)) continue;
    auto& f = fields[{s.key().Uri(), info.path}];
    f.schema = s.key().Uri();
    f.field = info.path;
    f.privacy = info.privacy;
  }
}

// Clear-text leaves exempt from the scrubber, named as Schema::Fields() names them.
void FindUnscrubbed(const schema::Schema& s, const Node& node, const std::string& path,
                    std::set<const Node*>& on_path, std::vector<UnscrubbedField>& out) {
  if (node.kind == Node::Kind::kLeaf) {
    if (node.privacy != Privacy::kClear || node.scrub) return;
    auto reason = s.document().value(nlohmann::json::json_pointer(node.pointer + "/x-scrub-reason"),
                                     std::string());
    out.push_back({s.key().Uri(), path, reason});
    return;
  }
  if (!on_path.insert(&node).second) return;  // recursive $ref: listed once
  for (const auto& [name, child] : node.properties) {
    FindUnscrubbed(s, *child, path.empty() ? name : path + "." + name, on_path, out);
  }
  if (node.element) {
    FindUnscrubbed(s, *node.element, path + (node.kind == Node::Kind::kArray ? "[]" : ".*"),
                   on_path, out);
  }
  on_path.erase(&node);
}

// Hashes each dictionary input once per algorithm in use and keeps the digests that were seen.
void Reverse(std::vector<HashedFieldAudit>& fields, const std::string& hmac_key,
             int64_t* dictionary_size) {
  std::map<Privacy, std::set<std::string>> seen;
  for (const auto& f : fields) {
    for (const auto& [digest, n] : f.distinct) seen[f.privacy].insert(digest);
  }
  std::map<Privacy, std::map<std::string, std::string>> found;
  auto dictionary = Dictionary();
  *dictionary_size = static_cast<int64_t>(dictionary.size());
  for (const auto& [privacy, digests] : seen) {
    for (const auto& input : dictionary) {
      std::string d = schema::DigestFor(privacy, input, hmac_key);
      if (digests.count(d)) found[privacy][d] = input;
    }
  }
  for (auto& f : fields) {
    for (const auto& [digest, n] : f.distinct) {
      auto hit = found[f.privacy].find(digest);
      if (hit != found[f.privacy].end()) f.reversed[digest] = hit->second;
    }
  }
}

// One stored event, parsed by either parser: counts its redactions and walks its data.
class EventAuditor {
 public:
  EventAuditor(const schema::Registry& registry, PrivacyAudit& audit, Collector::Fields& fields)
      : registry_(registry), audit_(audit), fields_(fields), collector_(fields) {}

  template <class Value>
  void Audit(const Value& event) {
    if (!IsObject(event)) return;
    ++audit_.events;
    if (auto r = MemberOf(event, "redactions"); r && IsObject(*r)) {
      bool any = false;
      ForEachMember(*r, [&](std::string_view kind, const auto& count) {
        any = true;
        if (auto n = IntegerOf(count)) audit_.redactions[std::string(kind)] += *n;
      });
      if (any) ++audit_.events_with_redactions;
    }
    std::string uri;
    if (auto member = MemberOf(event, "schema")) {
      if (auto text = StringOf(*member)) uri = std::string(*text);
    }
    const schema::Schema* known = Known(uri);
    if (!known) return;
    if (auto data = MemberOf(event, "data")) collector_.Walk(*known, known->root(), *data, "");
  }

  std::map<std::string, const schema::Schema*> schemas;  // uri -> compiled, or null if unknown

 private:
  const schema::Schema* Known(const std::string& uri) {
    auto known = schemas.find(uri);
    if (known != schemas.end()) return known->second;
    auto found = registry_.Find(uri);
    known = schemas.emplace(uri, found.ok() ? found.value() : nullptr).first;
    if (found.ok()) {
      DeclareFields(*found.value(), fields_);
      std::set<const Node*> on_path;
      FindUnscrubbed(*found.value(), found.value()->root(), "", on_path, audit_.unscrubbed);
    }
    return known->second;
  }

  const schema::Registry& registry_;
  PrivacyAudit& audit_;
  Collector::Fields& fields_;
  Collector collector_;
};

}  // namespace

HashedFieldAudit::Verdict HashedFieldAudit::verdict() const {
  if (distinct.empty()) return Verdict::kNoValues;
  if (reversed.size() * 2 >= distinct.size()) return Verdict::kClearText;
  return reversed.empty() ? Verdict::kNotReversed : Verdict::kPartlyGuessable;
}

// Stored lines are read with simdjson (nlohmann's parser was 60% of an audit); a line it
// refuses is read with nlohmann as before, so no event the audit used to count is missed.
Result<PrivacyAudit> AuditPrivacy(const journal::Journal& journal,
                                  const schema::Registry& registry) {
  PrivacyAudit audit;
  Collector::Fields fields;
  EventAuditor auditor(registry, audit, fields);
  simdjson::dom::parser parser;
  Status scan = journal.Scan({}, [&](const journal::StoredEvent& e) {
    simdjson::dom::element event;
    if (!parser.parse(e.line.data(), e.line.size()).get(event)) {
      auditor.Audit(event);
      return true;
    }
    auto fallback = nlohmann::json::parse(e.line, nullptr, false);
    if (!fallback.is_discarded()) auditor.Audit(fallback);
    return true;
  });
  GLASSBOX_RETURN_IF_ERROR(scan);
  for (const auto& [uri, s] : auditor.schemas) {
    if (!s) audit.unknown_schemas.push_back(uri);
  }
  for (auto& [key, f] : fields) audit.fields.push_back(std::move(f));
  std::string hmac_key;
  auto key = journal.GetMeta("hmac_key");
  if (key.ok()) hmac_key = key.value();
  Reverse(audit.fields, hmac_key, &audit.dictionary_size);
  return audit;
}

}  // namespace glassbox::inspect
