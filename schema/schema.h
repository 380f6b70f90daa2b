#pragma once
// Schema registry: JSON Schema documents (draft-04/07, Iglu-named) with privacy annotations,
// compiled once into a validator (valijson) and a privacy plan that the anonymizer walks.
#include "schema/rapidjson.h"  // first: RAPIDJSON_ASSERT must be set before RapidJSON

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glassbox/status.h"

namespace glassbox::schema {

// How the recorder turns an input value into the value that is stored and sent.
enum class Privacy { kClear, kMd5, kSha256, kHmacSha256, kDrop };
const char* PrivacyName(Privacy p);
std::optional<Privacy> ParsePrivacy(std::string_view name);
// The lowercase hex digest a hashed class makes of `bytes` (hmac-sha256 keyed with
// `hmac_key`); empty for clear and drop.
std::string DigestFor(Privacy p, std::string_view bytes, std::string_view hmac_key);

// One node of the privacy plan. The plan may be cyclic (recursive $ref); nodes are owned by
// their Schema and live as long as it does.
struct Node {
  enum class Kind { kLeaf, kObject, kArray };
  Kind kind = Kind::kLeaf;
  Privacy privacy = Privacy::kClear;              // kLeaf only
  bool scrub = true;                              // kLeaf clear strings: run the secret scrubber
  std::map<std::string, const Node*> properties;  // kObject: named fields
  const Node* element = nullptr;  // kObject: map values (additionalProperties); kArray: items
  std::string pointer;            // JSON pointer of the node in its document
};

struct SchemaKey {
  std::string vendor, name, format = "jsonschema", version;  // version: SchemaVer "1-0-0"
  std::string Uri() const { return "iglu:" + vendor + "/" + name + "/" + format + "/" + version; }
  // Orders by vendor/name, then numerically by SchemaVer.
  bool operator<(const SchemaKey& o) const;
};
std::optional<SchemaKey> ParseIgluUri(std::string_view uri);

// A field of a schema as `schema show` lists it.
struct FieldInfo {
  std::string path;  // e.g. plugins[].config
  std::string type;  // the JSON Schema type as sent
  Privacy privacy;
};

class Schema {
 public:
  ~Schema();
  const SchemaKey& key() const { return key_; }
  const std::string& uri() const { return uri_; }  // key().Uri(), kept: every event names it
  const std::string& file() const { return file_; }
  const nlohmann::json& document() const { return doc_; }
  const Node& root() const { return *root_; }
  // Validates anonymized `data`. The error names the schema and the first failing field, never
  // the value.
  Status Validate(const nlohmann::json& data) const;
  // The same over RapidJSON, for readers of many events (bundles).
  Status ValidateRapidJson(const rapidjson::Value& data) const;
  std::vector<FieldInfo> Fields() const;

  // Compiles `doc` (from `file`, for messages). Errors name the file and JSON pointer.
  // With `problems`, every privacy-plan problem is listed there, not only the first.
  static Result<std::unique_ptr<Schema>> Compile(nlohmann::json doc, std::string file,
                                                 std::vector<std::string>* problems = nullptr);

  struct Validator;

 private:
  Schema() = default;
  template <typename Adapter>
  Status ValidateWith(const Adapter& adapter) const;
  SchemaKey key_;
  std::string uri_;
  std::string file_;
  nlohmann::json doc_;
  std::vector<std::unique_ptr<Node>> nodes_;
  const Node* root_ = nullptr;
  std::unique_ptr<Validator> validator_;
  friend class PlanBuilder;
};

// Reads the key of a schema document: its Iglu `self` block or an `iglu:` $id.
Result<SchemaKey> KeyOf(const nlohmann::json& doc, const std::string& file);

// The schemas a process can record against: the built-in set plus an optional folder.
// Thread-safe. Documents are parsed at Open; each is compiled on first use and cached.
class Registry {
 public:
  static Result<std::unique_ptr<Registry>> Open(const std::string& dir);
  // `name` is an iglu: URI, vendor/name/format/version, or a bare name (newest version).
  Result<const Schema*> Find(std::string_view name) const;
  std::vector<SchemaKey> Keys() const;

 private:
  struct Entry {
    nlohmann::json doc;
    std::string file;
    mutable std::unique_ptr<Schema> compiled;
  };
  Status Add(nlohmann::json doc, std::string file);
  Result<const Entry*> Resolve(std::string_view name) const;
  std::map<SchemaKey, Entry> entries_;
  mutable std::mutex mu_;
};

struct LintFinding {
  std::string file;
  std::string message;  // includes the JSON pointer
  bool error = true;    // false: a warning
};
// Checks every schema under `dir`; returns all findings (empty = clean).
std::vector<LintFinding> LintDir(const std::string& dir);

// Built-in documents (generated from schema/builtin at build time): {file name, JSON text}.
const std::vector<std::pair<std::string, std::string>>& BuiltinSchemaTexts();

}  // namespace glassbox::schema
