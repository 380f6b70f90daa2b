#include "recorder/anonymizer.h"

#include "base/canonical_json.h"

namespace glassbox::recorder {
namespace {

using schema::Node;
using schema::Privacy;

// Where the walk is, for error messages only: a chain of steps on the stack, rendered as a
// JSON-pointer-like path when a field is refused, so a valid event builds no path strings.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;
  size_t index = 0;
  bool is_index = false;

  std::string Render() const {
    if (!parent) return "/";
    std::string out;
    for (const Path* p = this; p->parent; p = p->parent) {
      out.insert(0, "/" + (p->is_index ? std::to_string(p->index) : std::string(p->key)));
    }
    return out;
  }
};

// Consumes its input: kept values and object members are moved into the result, not copied.
class Walker {
 public:
  Walker(const schema::Schema& schema, const AnonymizeOptions& options, Anonymized& out)
      : schema_(schema), options_(options), out_(out) {}

  // Returns false (with error_ set) on bad input; *keep is false for dropped values.
  bool Visit(const Node& node, nlohmann::json& in, const Path& path, nlohmann::json* result,
             bool* keep) {
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
  bool Fail(const Path& path, const std::string& what) {
    error_ = Status::InvalidEvent(schema_.key().Uri() + ": field " + path.Render() + ": " + what);
    return false;
  }

  bool VisitLeaf(const Node& node, nlohmann::json& in, nlohmann::json* result, bool* keep) {
    switch (node.privacy) {
      case Privacy::kDrop:
        *keep = false;
        return true;
      case Privacy::kClear:
        *result = std::move(in);
        if (node.scrub && result->is_string() && options_.scrubber) {
          options_.scrubber(result->get_ref<std::string&>(), out_.redactions);
        }
        return true;
      default:
        *result = in.is_null() ? nlohmann::json()
                               : nlohmann::json(HashValue(node.privacy, in, options_.hmac_key));
        return true;
    }
  }

  bool VisitObject(const Node& node, nlohmann::json& in, const Path& path, nlohmann::json* result) {
    if (!in.is_object()) return Fail(path, "expected an object");
    auto& members = in.get_ref<nlohmann::json::object_t&>();
    nlohmann::json out = nlohmann::json::object();
    auto& kept = out.get_ref<nlohmann::json::object_t&>();
    while (!members.empty()) {
      auto field = members.extract(members.begin());  // key and value move, nothing is copied
      auto named = node.properties.find(field.key());
      bool declared = named != node.properties.end();
      const Node* child = declared ? named->second : node.element;
      if (!declared) field.key() = ScrubKey(child, field.key(), out);
      Path step{&path, field.key()};
      if (!child) return Fail(step, "unknown field (not in the schema)");
      nlohmann::json value;
      bool keep = true;
      if (!Visit(*child, field.mapped(), step, &value, &keep)) return false;
      if (!keep) continue;
      field.mapped() = std::move(value);
      auto placed = kept.insert(std::move(field));
      if (!placed.inserted) placed.position->second = std::move(placed.node.mapped());
    }
    *result = std::move(out);
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

  bool VisitArray(const Node& node, nlohmann::json& in, const Path& path, nlohmann::json* result) {
    if (!in.is_array()) return Fail(path, "expected an array");
    auto& items = in.get_ref<nlohmann::json::array_t&>();
    nlohmann::json out = nlohmann::json::array();
    auto& kept = out.get_ref<nlohmann::json::array_t&>();
    kept.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      nlohmann::json value;
      bool keep = true;
      Path step{&path, {}, i, true};
      if (!Visit(*node.element, items[i], step, &value, &keep)) return false;
      if (keep) kept.push_back(std::move(value));
    }
    *result = std::move(out);
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
  if (value.is_string()) {
    return schema::DigestFor(privacy, value.get_ref<const std::string&>(), hmac_key);
  }
  return schema::DigestFor(privacy, base::CanonicalJson(value), hmac_key);
}

Result<Anonymized> Anonymize(const schema::Schema& schema, const nlohmann::json& input,
                             const AnonymizeOptions& options) {
  return Anonymize(schema, nlohmann::json(input), options);
}

Result<Anonymized> Anonymize(const schema::Schema& schema, nlohmann::json&& input,
                             const AnonymizeOptions& options) {
  Anonymized out;
  Walker walker(schema, options, out);
  bool keep = true;
  if (!walker.Visit(schema.root(), input, Path{}, &out.data, &keep)) return walker.error();
  GLASSBOX_RETURN_IF_ERROR(schema.Validate(out.data));
  return out;
}

}  // namespace glassbox::recorder
