// Listing a schema's fields (schema show, inspect explain) and linting folders of schemas.
#include <set>

#include "schema/schema.h"
#include "schema/schema_internal.h"

namespace glassbox::schema {
namespace {

std::string TypeText(const nlohmann::json& doc, const std::string& pointer) {
  const auto& node = doc.at(nlohmann::json::json_pointer(pointer));
  auto t = node.find("type");
  if (t == node.end()) return "any";
  if (t->is_string()) return t->get<std::string>();
  std::string out;
  for (const auto& part : *t) out += (out.empty() ? "" : "|") + part.get<std::string>();
  return out;
}

void Walk(const nlohmann::json& doc, const Node& node, const std::string& path,
          std::set<const Node*>& on_path, std::vector<FieldInfo>& out) {
  if (node.kind == Node::Kind::kLeaf) {
    out.push_back({path, TypeText(doc, node.pointer), node.privacy});
    return;
  }
  if (!on_path.insert(&node).second) {
    out.push_back({path, "(recursive)", Privacy::kClear});
    return;
  }
  if (node.kind == Node::Kind::kObject) {
    for (const auto& [name, child] : node.properties) {
      Walk(doc, *child, path.empty() ? name : path + "." + name, on_path, out);
    }
    if (node.element) Walk(doc, *node.element, path + ".*", on_path, out);
  } else {
    Walk(doc, *node.element, path + "[]", on_path, out);
  }
  on_path.erase(&node);
}

// Field names that suggest a secret or personal data when sent in clear text.
bool SuspiciousName(const std::string& path) {
  static const char* kWords[] = {"password",   "passwd", "token",   "key",     "secret",
                                 "credential", "auth",   "ip",      "email",   "host",
                                 "path",       "cookie", "session", "phone",   "username",
                                 "mac",        "ssn",    "address", "location"};
  std::string leaf = path.substr(path.find_last_of('.') + 1);
  std::string lower;
  for (char c : leaf)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* w : kWords) {
    std::string word(w);
    size_t at = lower.find(word);
    if (at == std::string::npos) continue;
    // Short words ("ip", "key", "mac", "ssn") only as whole words (not "zip", "monkey",
    // "machine"), split on _ or -.
    bool starts = at == 0 || lower[at - 1] == '_' || lower[at - 1] == '-';
    bool ends = at + word.size() == lower.size() || lower[at + word.size()] == '_' ||
                lower[at + word.size()] == '-';
    if (word.size() > 3 || (starts && ends)) return true;
  }
  return false;
}

}  // namespace

std::vector<FieldInfo> Schema::Fields() const {
  std::vector<FieldInfo> out;
  std::set<const Node*> on_path;
  Walk(doc_, *root_, "", on_path, out);
  return out;
}

std::vector<LintFinding> LintDir(const std::string& dir) {
  std::vector<LintFinding> findings;
  std::map<std::string, std::string> seen;  // uri -> file
  Status walk = ForEachSchemaFile(
      dir,
      [&](nlohmann::json doc, std::string file) {
        std::vector<std::string> problems;
        auto compiled = Schema::Compile(std::move(doc), file, &problems);
        if (!compiled.ok()) {
          if (problems.empty()) problems.push_back(compiled.status().message());
          for (auto& problem : problems) findings.push_back({file, std::move(problem), true});
          return Status::Ok();
        }
        std::string uri = compiled.value()->key().Uri();
        if (auto [it, fresh] = seen.emplace(uri, file); !fresh) {
          findings.push_back({file, uri + " is also defined in " + it->second, true});
        }
        for (const auto& f : compiled.value()->Fields()) {
          if (f.privacy == Privacy::kClear && SuspiciousName(f.path)) {
            findings.push_back({file,
                                "warning: field " + f.path +
                                    " is clear text but its name suggests a secret or personal "
                                    "data; hash or drop it",
                                false});
          }
        }
        return Status::Ok();
      },
      [&](const Status& bad) {
        findings.push_back({dir, bad.message(), true});
      });
  if (!walk.ok()) findings.push_back({dir, walk.message(), true});
  return findings;
}

}  // namespace glassbox::schema
