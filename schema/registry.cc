#include <filesystem>

#include "base/files.h"
#include "schema/schema.h"
#include "schema/schema_internal.h"

namespace glassbox::schema {
namespace {

constexpr size_t kMaxSchemaBytes = 1 << 20;

bool LooksLikeSchemaFile(const std::filesystem::path& p) {
  std::string name = p.filename().string();
  if (p.extension() == ".json") return true;
  return ParseIgluUri("v/n/f/" + name).has_value();  // Iglu layout: .../jsonschema/1-0-0
}

}  // namespace

// Parses every schema file under `dir` (sorted, for stable messages), calling `add`.
Status ForEachSchemaFile(const std::string& dir,
                         const std::function<Status(nlohmann::json, std::string)>& add,
                         const std::function<void(const Status&)>& bad_file) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  if (ec) return Status::NotFound(dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IoError(dir + ": " + ec.message());
    if (it->is_regular_file() && LooksLikeSchemaFile(it->path())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto text = base::ReadFile(f.string(), kMaxSchemaBytes);
    Status problem = text.status();
    nlohmann::json doc;
    if (problem.ok()) {
      doc = nlohmann::json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded()) problem = Status::SchemaError(f.string() + ": not valid JSON");
    }
    if (!problem.ok() && !bad_file) return problem;
    if (!problem.ok()) {
      bad_file(problem);
      continue;
    }
    GLASSBOX_RETURN_IF_ERROR(add(std::move(doc), f.string()));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Registry>> Registry::Open(const std::string& dir) {
  std::unique_ptr<Registry> r(new Registry());
  for (const auto& [file, text] : BuiltinSchemaTexts()) {
    GLASSBOX_RETURN_IF_ERROR(r->Add(nlohmann::json::parse(text), "builtin:" + file));
  }
  if (!dir.empty()) {
    GLASSBOX_RETURN_IF_ERROR(ForEachSchemaFile(
        dir, [&r](nlohmann::json doc, std::string file) { return r->Add(std::move(doc), file); }));
  }
  return r;
}

Status Registry::Add(nlohmann::json doc, std::string file) {
  auto key = KeyOf(doc, file);
  if (!key.ok()) return key.status();
  // A folder may override a built-in schema of the same key; two files of one folder may not.
  auto it = entries_.find(key.value());
  if (it != entries_.end() && it->second.file.rfind("builtin:", 0) != 0) {
    return Status::SchemaError(file + ": " + key->Uri() + " is also defined in " + it->second.file);
  }
  entries_[key.value()] = Entry{std::move(doc), std::move(file), nullptr};
  return Status::Ok();
}

Result<const Registry::Entry*> Registry::Resolve(std::string_view name) const {
  if (auto key = ParseIgluUri(name)) {
    auto it = entries_.find(*key);
    if (it == entries_.end()) return Status::NotFound("unknown schema " + key->Uri());
    return &it->second;
  }
  const Entry* newest = nullptr;
  const SchemaKey* newest_key = nullptr;
  for (const auto& [key, entry] : entries_) {
    if (key.name != name) continue;
    if (newest_key && newest_key->vendor != key.vendor) {
      return Status::NotFound("schema name " + std::string(name) +
                              " is ambiguous: give the full iglu: URI");
    }
    newest = &entry;  // entries_ is ordered by version within a vendor/name
    newest_key = &key;
  }
  if (!newest) return Status::NotFound("unknown schema " + std::string(name));
  return newest;
}

Result<const Schema*> Registry::Find(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto entry = Resolve(name);
  if (!entry.ok()) return entry.status();
  if (!entry.value()->compiled) {
    auto compiled = Schema::Compile(entry.value()->doc, entry.value()->file);
    if (!compiled.ok()) return compiled.status();
    entry.value()->compiled = std::move(compiled.value());
  }
  return static_cast<const Schema*>(entry.value()->compiled.get());
}

std::vector<SchemaKey> Registry::Keys() const {
  std::vector<SchemaKey> keys;
  for (const auto& [key, entry] : entries_) keys.push_back(key);
  return keys;
}

}  // namespace glassbox::schema
