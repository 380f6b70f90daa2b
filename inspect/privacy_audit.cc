// The privacy audit: collects the stored digests of every hashed field, then hashes the
// built-in dictionary with each field's algorithm and reports which digests it reproduces.
#include <algorithm>
#include <iomanip>
#include <set>
#include <sstream>

#include "inspect/privacy.h"

namespace glassbox::inspect {
namespace {

using schema::Node;
using schema::Privacy;

bool IsHashed(Privacy p) {
  return p == Privacy::kMd5 || p == Privacy::kSha256 || p == Privacy::kHmacSha256;
}

// Walks stored data alongside the schema's privacy plan and files each hashed value under the
// field's path (named as Schema::Fields() names it).
class Collector {
 public:
  using Fields = std::map<std::pair<std::string, std::string>, HashedFieldAudit>;
  explicit Collector(Fields& fields) : fields_(fields) {}

  void Walk(const schema::Schema& s, const Node& node, const nlohmann::json& v,
            const std::string& path) {
    switch (node.kind) {
      case Node::Kind::kLeaf:
        if (IsHashed(node.privacy) && v.is_string()) Add(s, node.privacy, path, v);
        return;
      case Node::Kind::kObject:
        if (!v.is_object()) return;
        for (auto it = v.begin(); it != v.end(); ++it) {
          auto named = node.properties.find(it.key());
          if (named != node.properties.end()) {
            Walk(s, *named->second, it.value(), path.empty() ? it.key() : path + "." + it.key());
          } else if (node.element) {
            Walk(s, *node.element, it.value(), path + ".*");
          }
        }
        return;
      case Node::Kind::kArray:
        if (!v.is_array()) return;
        for (const auto& e : v) Walk(s, *node.element, e, path + "[]");
        return;
    }
  }

 private:
  void Add(const schema::Schema& s, Privacy p, const std::string& path, const nlohmann::json& v) {
    auto& f = fields_[{s.key().Uri(), path}];
    f.schema = s.key().Uri();
    f.field = path;
    f.privacy = p;
    ++f.values;
    ++f.distinct[v.get<std::string>()];
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

}  // namespace

HashedFieldAudit::Verdict HashedFieldAudit::verdict() const {
  if (distinct.empty()) return Verdict::kNoValues;
  if (reversed.size() * 2 >= distinct.size()) return Verdict::kClearText;
  return reversed.empty() ? Verdict::kNotReversed : Verdict::kPartlyGuessable;
}

Result<PrivacyAudit> AuditPrivacy(const journal::Journal& journal,
                                  const schema::Registry& registry) {
  PrivacyAudit audit;
  Collector::Fields fields;
  Collector collector(fields);
  std::map<std::string, const schema::Schema*> schemas;  // uri -> compiled, or null if unknown
  Status scan = journal.Scan({}, [&](const journal::StoredEvent& e) {
    auto event = nlohmann::json::parse(e.line, nullptr, false);
    if (event.is_discarded() || !event.is_object()) return true;
    ++audit.events;
    if (auto r = event.find("redactions"); r != event.end() && r->is_object() && !r->empty()) {
      ++audit.events_with_redactions;
      for (auto it = r->begin(); it != r->end(); ++it) {
        if (it->is_number_integer()) audit.redactions[it.key()] += it->get<int64_t>();
      }
    }
    std::string uri = event.value("schema", "");
    auto known = schemas.find(uri);
    if (known == schemas.end()) {
      auto found = registry.Find(uri);
      known = schemas.emplace(uri, found.ok() ? found.value() : nullptr).first;
      if (found.ok()) {
        DeclareFields(*found.value(), fields);
        std::set<const Node*> on_path;
        FindUnscrubbed(*found.value(), found.value()->root(), "", on_path, audit.unscrubbed);
      }
    }
    if (known->second && event.contains("data")) {
      collector.Walk(*known->second, known->second->root(), event["data"], "");
    }
    return true;
  });
  GLASSBOX_RETURN_IF_ERROR(scan);
  for (const auto& [uri, s] : schemas) {
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
