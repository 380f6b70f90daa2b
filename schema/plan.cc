// Compiles a schema document's privacy annotations into a plan (deny by default).
#include <set>

#include "schema/schema.h"

#include "base/digest.h"
#include "schema/schema_internal.h"

namespace glassbox::schema {
namespace {

std::string Escape(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

std::set<std::string> TypesOf(const nlohmann::json& node) {
  std::set<std::string> types;
  auto it = node.find("type");
  if (it == node.end()) return types;
  if (it->is_string()) types.insert(it->get<std::string>());
  if (it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) types.insert(t.get<std::string>());
    }
  }
  return types;
}

}  // namespace

std::string DigestFor(Privacy p, std::string_view bytes, std::string_view hmac_key) {
  switch (p) {
    case Privacy::kMd5:
      return base::Md5Hex(bytes);
    case Privacy::kSha256:
      return base::Sha256Hex(bytes);
    case Privacy::kHmacSha256:
      return base::HmacSha256Hex(hmac_key, bytes);
    default:
      return {};
  }
}

const char* PrivacyName(Privacy p) {
  switch (p) {
    case Privacy::kClear:
      return "clear";
    case Privacy::kMd5:
      return "md5";
    case Privacy::kSha256:
      return "sha256";
    case Privacy::kHmacSha256:
      return "hmac-sha256";
    case Privacy::kDrop:
      return "drop";
  }
  return "?";
}

std::optional<Privacy> ParsePrivacy(std::string_view name) {
  for (auto p :
       {Privacy::kClear, Privacy::kMd5, Privacy::kSha256, Privacy::kHmacSha256, Privacy::kDrop}) {
    if (name == PrivacyName(p)) return p;
  }
  return std::nullopt;
}

PlanBuilder::PlanBuilder(Schema& schema) : schema_(schema) {}

Status PlanBuilder::Error(const std::string& pointer, const std::string& what) {
  problems_.push_back(schema_.file_ + ": " + (pointer.empty() ? "/" : pointer) + ": " + what);
  return Status::SchemaError(problems_.back());
}

Result<const Node*> PlanBuilder::Build(const std::string& pointer) {
  if (auto it = built_.find(pointer); it != built_.end()) return it->second;
  // Bounded recursion: a hostile or broken document must not exhaust the stack.
  if (depth_ >= kMaxDepth) return Error(pointer, "schema nested deeper than 64 levels");
  struct Deeper {
    int& d;
    explicit Deeper(int& depth) : d(++depth) {}
    ~Deeper() { --d; }
  } deeper(depth_);
  nlohmann::json::json_pointer ptr;
  try {
    ptr = nlohmann::json::json_pointer(pointer);
  } catch (const nlohmann::json::exception&) {
    return Error(pointer, "bad JSON pointer");
  }
  if (!schema_.doc_.contains(ptr)) return Error(pointer, "$ref target does not exist");
  const nlohmann::json& node = schema_.doc_.at(ptr);
  if (!node.is_object()) return Error(pointer, "schema node is not an object");
  if (auto ref = node.find("$ref"); ref != node.end()) {
    if (!ref->is_string() || ref->get<std::string>().rfind("#", 0) != 0) {
      return Error(pointer, "only local $ref (\"#/...\") is supported");
    }
    // A chain of $refs that comes back to itself names no schema at all.
    if (!resolving_.insert(pointer).second) return Error(pointer, "$ref cycle without a schema");
    auto target = Build(ref->get<std::string>().substr(1));
    resolving_.erase(pointer);
    if (target.ok()) built_[pointer] = target.value();
    return target;
  }
  schema_.nodes_.push_back(std::make_unique<Node>());
  Node* out = schema_.nodes_.back().get();
  out->pointer = pointer;
  built_[pointer] = out;  // before recursing, so recursive definitions terminate
  GLASSBOX_RETURN_IF_ERROR(Fill(node, pointer, out));
  return static_cast<const Node*>(out);
}

Status PlanBuilder::Fill(const nlohmann::json& node, const std::string& pointer, Node* out) {
  if (auto p = node.find("x-privacy"); p != node.end()) return FillLeaf(node, pointer, out);
  for (const char* combinator : {"anyOf", "oneOf", "allOf", "not"}) {
    if (node.contains(combinator)) {
      return Error(pointer, std::string(combinator) +
                                " needs an x-privacy on this node (classify the whole value)");
    }
  }
  auto types = TypesOf(node);
  if (types.count("object")) return FillObject(node, pointer, out);
  if (types.count("array")) return FillArray(node, pointer, out);
  return Error(pointer, "value node has no x-privacy (clear, md5, sha256, hmac-sha256, drop)");
}

Status PlanBuilder::FillLeaf(const nlohmann::json& node, const std::string& pointer, Node* out) {
  const auto& p = node.at("x-privacy");
  auto privacy = p.is_string() ? ParsePrivacy(p.get<std::string>()) : std::nullopt;
  if (!privacy) return Error(pointer + "/x-privacy", "unknown privacy class");
  out->privacy = *privacy;
  auto types = TypesOf(node);
  bool hashed =
      *privacy == Privacy::kMd5 || *privacy == Privacy::kSha256 || *privacy == Privacy::kHmacSha256;
  if (hashed &&
      (types.empty() || !types.count("string") || types.size() > 1 + types.count("null"))) {
    return Error(pointer,
                 "a hashed node must be declared \"type\": \"string\" (or "
                 "[\"string\", \"null\"]): a digest is what is sent");
  }
  if (*privacy == Privacy::kClear && (types.count("object") || types.count("array"))) {
    return Error(pointer, "x-privacy clear on an object or array: classify its members instead");
  }
  if (auto s = node.find("x-scrub"); s != node.end()) {
    auto reason = node.find("x-scrub-reason");
    if (!s->is_boolean() || s->get<bool>() || reason == node.end() || !reason->is_string() ||
        reason->get<std::string>().empty()) {
      return Error(pointer + "/x-scrub",
                   "only \"x-scrub\": false is allowed, with an \"x-scrub-reason\" string");
    }
    out->scrub = false;
  }
  out->kind = Node::Kind::kLeaf;
  return Status::Ok();
}

Status PlanBuilder::FillObject(const nlohmann::json& node, const std::string& pointer, Node* out) {
  out->kind = Node::Kind::kObject;
  auto additional = node.find("additionalProperties");
  bool closed = additional != node.end() && additional->is_boolean() && !additional->get<bool>();
  bool map = additional != node.end() && additional->is_object();
  if (!closed && !map) {
    return Error(pointer,
                 "open object: set \"additionalProperties\": false or give it a "
                 "classified schema (a map)");
  }
  Status first;  // the first bad property; the others are still visited (see problems())
  if (auto props = node.find("properties"); props != node.end() && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) {
      auto child = Build(pointer + "/properties/" + Escape(it.key()));
      if (child.ok()) {
        out->properties[it.key()] = child.value();
      } else if (first.ok()) {
        first = child.status();
      }
    }
  }
  if (map) {
    auto element = Build(pointer + "/additionalProperties");
    if (element.ok()) {
      out->element = element.value();
    } else if (first.ok()) {
      first = element.status();
    }
  }
  return first;
}

Status PlanBuilder::FillArray(const nlohmann::json& node, const std::string& pointer, Node* out) {
  out->kind = Node::Kind::kArray;
  auto items = node.find("items");
  if (items == node.end() || !items->is_object()) {
    return Error(pointer, "array without an \"items\" schema: classify its elements");
  }
  auto element = Build(pointer + "/items");
  if (!element.ok()) return element.status();
  out->element = element.value();
  return Status::Ok();
}

}  // namespace glassbox::schema
