#include "recorder/anonymizer.h"

#include "base/canonical_json.h"

namespace glassbox::recorder {
namespace {

using schema::Node;
using schema::Privacy;

class Walker {
 public:
  Walker(const schema::Schema& schema, const AnonymizeOptions& options, Anonymized& out)
      : schema_(schema), options_(options), out_(out) {}

  // Returns false (with error_ set) on bad input; *keep is false for dropped values.
  bool Visit(const Node& node, const nlohmann::json& in, const std::string& path,
             nlohmann::json* result, bool* keep) {
    *keep = true;
    if (in.is_null() && node.kind != Node::Kind::kLeaf) {
      *result = nullptr;  // a nullable container; validation decides whether null is allowed
      return true;
    }
    switch (node.kind) {
      case Node::Kind::kLeaf:
        return VisitLeaf(node, in, result, keep);
      case Node::Kind::kObject:
        return VisitObject(node, in, path, result);
      case Node::Kind::kArray:
        return VisitArray(node, in, path, result);
    }
    return false;
  }

  Status error() const { return error_; }

 private:
  bool Fail(const std::string& path, const std::string& what) {
    error_ = Status::InvalidEvent(schema_.key().Uri() + ": field " + (path.empty() ? "/" : path) +
                                  ": " + what);
    return false;
  }

  bool VisitLeaf(const Node& node, const nlohmann::json& in, nlohmann::json* result, bool* keep) {
    switch (node.privacy) {
      case Privacy::kDrop:
        *keep = false;
        return true;
      case Privacy::kClear:
        *result = in;
        if (node.scrub && in.is_string() && options_.scrubber) {
          options_.scrubber(result->get_ref<std::string&>(), out_.redactions);
        }
        return true;
      default:
        *result = in.is_null() ? nlohmann::json()
                               : nlohmann::json(HashValue(node.privacy, in, options_.hmac_key));
        return true;
    }
  }

  bool VisitObject(const Node& node, const nlohmann::json& in, const std::string& path,
                   nlohmann::json* result) {
    if (!in.is_object()) return Fail(path, "expected an object");
    *result = nlohmann::json::object();
    for (auto it = in.begin(); it != in.end(); ++it) {
      auto named = node.properties.find(it.key());
      bool declared = named != node.properties.end();
      const Node* child = declared ? named->second : node.element;
      std::string key = declared ? it.key() : ScrubKey(child, it.key(), *result);
      std::string child_path = path + "/" + key;
      if (!child) return Fail(child_path, "unknown field (not in the schema)");
      nlohmann::json value;
      bool keep = true;
      if (!Visit(*child, it.value(), child_path, &value, &keep)) return false;
      if (keep) (*result)[key] = std::move(value);
    }
    return true;
  }

  // Map keys and undeclared field names are input too: they are scrubbed before they are
  // stored or named in an error. Two keys that scrub alike stay apart ("[redacted:ip] (2)").
  std::string ScrubKey(const Node* element, const std::string& key, const nlohmann::json& taken) {
    if (!options_.scrubber || (element && element->kind == Node::Kind::kLeaf && !element->scrub)) {
      return key;
    }
    std::string out = key;
    std::map<std::string, int> ignored;  // an undeclared field refuses the event anyway
    options_.scrubber(out, element ? out_.redactions : ignored);
    if (out == key) return out;
    std::string unique = out;
    for (int n = 2; taken.contains(unique); ++n) unique = out + " (" + std::to_string(n) + ")";
    return unique;
  }

  bool VisitArray(const Node& node, const nlohmann::json& in, const std::string& path,
                  nlohmann::json* result) {
    if (!in.is_array()) return Fail(path, "expected an array");
    *result = nlohmann::json::array();
    for (size_t i = 0; i < in.size(); ++i) {
      nlohmann::json value;
      bool keep = true;
      if (!Visit(*node.element, in[i], path + "/" + std::to_string(i), &value, &keep)) {
        return false;
      }
      if (keep) result->push_back(std::move(value));
    }
    return true;
  }

  const schema::Schema& schema_;
  const AnonymizeOptions& options_;
  Anonymized& out_;
  Status error_;
};

}  // namespace

std::string HashValue(schema::Privacy privacy, const nlohmann::json& value,
                      const std::string& hmac_key) {
  std::string bytes = value.is_string() ? value.get<std::string>() : base::CanonicalJson(value);
  return schema::DigestFor(privacy, bytes, hmac_key);
}

Result<Anonymized> Anonymize(const schema::Schema& schema, const nlohmann::json& input,
                             const AnonymizeOptions& options) {
  Anonymized out;
  Walker walker(schema, options, out);
  bool keep = true;
  if (!walker.Visit(schema.root(), input, "", &out.data, &keep)) return walker.error();
  GLASSBOX_RETURN_IF_ERROR(schema.Validate(out.data));
  return out;
}

}  // namespace glassbox::recorder
