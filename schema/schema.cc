#include "schema/schema.h"

#include <algorithm>
#include <cstdint>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "schema/formats.h"
#include "schema/schema_internal.h"

namespace glassbox::schema {

struct Schema::Validator {
  valijson::Schema compiled;
};

Schema::~Schema() = default;

namespace {

// valijson's words for a string its `pattern` refused.
constexpr std::string_view kPatternRefused =
    "Failed to match regex specified by 'pattern' constraint.";

// A SchemaVer part has at most this many digits, so it fits an int with room to spare.
constexpr size_t kMaxVerDigits = 9;

// Saturates rather than overflows: a key not built by the parsers below may hold any digits.
int64_t VerPart(const std::string& v, int i) {
  int64_t part = 0;
  int index = 0;
  for (char c : v) {
    if (c == '-') {
      ++index;
    } else if (index == i && c >= '0' && c <= '9') {
      part = std::min<int64_t>(part * 10 + (c - '0'), 1'000'000'000'000);
    }
  }
  return part;
}

bool IsSchemaVer(const std::string& v) {
  int dashes = 0;
  size_t digits = 0;
  for (char c : v) {
    if (c == '-') {
      ++dashes;
      digits = 0;
    } else if (c < '0' || c > '9' || ++digits > kMaxVerDigits) {
      return false;
    }
  }
  return dashes == 2 && v.front() != '-' && v.back() != '-' && v.find("--") == std::string::npos;
}

// "#/a/b/0" style location from valijson's context ["<root>", "[a]", "[b]", "[0]"].
std::string FieldPath(const std::vector<std::string>& context) {
  std::string path;
  for (const auto& c : context) {
    if (auto part = ContextStep(c)) path += "/" + *part;
  }
  return path.empty() ? "/" : path;
}

valijson::SchemaParser::Version DraftOf(const nlohmann::json& doc) {
  auto s = doc.find("$schema");
  if (s != doc.end() && s->is_string() &&
      s->get<std::string>().find("draft-04") != std::string::npos) {
    return valijson::SchemaParser::kDraft4;
  }
  // Iglu's self-describing meta-schema is draft-04 based.
  if (s != doc.end() && s->is_string() &&
      s->get<std::string>().find("iglucentral") != std::string::npos) {
    return valijson::SchemaParser::kDraft4;
  }
  return valijson::SchemaParser::kDraft7;
}

}  // namespace

bool SchemaKey::operator<(const SchemaKey& o) const {
  if (vendor != o.vendor) return vendor < o.vendor;
  if (name != o.name) return name < o.name;
  if (format != o.format) return format < o.format;
  for (int i = 0; i < 3; ++i) {
    if (VerPart(version, i) != VerPart(o.version, i))
      return VerPart(version, i) < VerPart(o.version, i);
  }
  return version < o.version;
}

std::optional<SchemaKey> ParseIgluUri(std::string_view uri) {
  if (uri.rfind("iglu:", 0) == 0) uri.remove_prefix(5);
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= uri.size(); ++i) {
    if (i == uri.size() || uri[i] == '/') {
      parts.emplace_back(uri.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() != 4 || !IsSchemaVer(parts[3])) return std::nullopt;
  for (const auto& p : parts) {
    if (p.empty()) return std::nullopt;
  }
  return SchemaKey{parts[0], parts[1], parts[2], parts[3]};
}

Result<SchemaKey> KeyOf(const nlohmann::json& doc, const std::string& file) {
  if (!doc.is_object()) return Status::SchemaError(file + ": a schema must be a JSON object");
  if (auto self = doc.find("self"); self != doc.end() && self->is_object()) {
    SchemaKey key;
    for (auto [field, out] :
         {std::pair{"vendor", &key.vendor}, std::pair{"name", &key.name},
          std::pair{"format", &key.format}, std::pair{"version", &key.version}}) {
      auto it = self->find(field);
      if (it == self->end() || !it->is_string() || it->get<std::string>().empty()) {
        return Status::SchemaError(file + ": /self/" + field + ": missing or not a string");
      }
      *out = it->get<std::string>();
    }
    if (!IsSchemaVer(key.version)) {
      return Status::SchemaError(file + ": /self/version: not a SchemaVer like 1-0-0");
    }
    return key;
  }
  if (auto id = doc.find("$id"); id != doc.end() && id->is_string()) {
    if (auto key = ParseIgluUri(id->get<std::string>())) return *key;
    return Status::SchemaError(file + ": /$id: not an iglu:vendor/name/format/version URI");
  }
  return Status::SchemaError(file + ": no Iglu \"self\" block and no iglu: \"$id\"");
}

Result<std::unique_ptr<Schema>> Schema::Compile(nlohmann::json doc, std::string file,
                                                std::vector<std::string>* problems) {
  auto key = KeyOf(doc, file);
  if (!key.ok()) return key.status();
  std::unique_ptr<Schema> s(new Schema());
  s->key_ = key.value();
  s->uri_ = s->key_.Uri();
  s->file_ = std::move(file);
  s->doc_ = std::move(doc);
  PlanBuilder builder(*s);
  auto root = builder.Build("");
  if (problems) *problems = builder.problems();
  if (!root.ok()) return root.status();
  if (root.value()->kind != Node::Kind::kObject) {
    return Status::SchemaError(s->file_ + ": /: the event data must be an object");
  }
  s->root_ = root.value();
  // valijson resolves "$id" as a base URI and would try to fetch "iglu:" documents; the plan
  // above already proved every $ref is local, so validate a copy without it.
  nlohmann::json for_validator = s->doc_;
  for_validator.erase("$id");
  detail::RewriteFormats(for_validator);
  s->validator_ = std::make_unique<Validator>();
  try {
    valijson::SchemaParser parser(DraftOf(s->doc_));
    valijson::adapters::NlohmannJsonAdapter adapter(for_validator);
    parser.populateSchema(adapter, s->validator_->compiled);
  } catch (const std::exception& e) {
    return Status::SchemaError(s->file_ + ": not a valid JSON Schema: " + e.what());
  }
  return s;
}

template <typename Adapter>
Status Schema::ValidateWith(const Adapter& adapter) const {
  // valijson caches each `pattern`'s compiled std::regex in its Validator: a Validator per
  // call compiled every pattern again for every event. One per thread, as a Validator is not
  // safe to share; its cache holds patterns, never values.
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  // Valid events are checked without a results object (an empty std::deque allocates); a
  // refused one is checked again with it, for the words of the error.
  std::optional<valijson::ValidationResults> results;
  try {
    if (validator.validate(validator_->compiled, adapter, nullptr)) return Status::Ok();
    results.emplace();
    if (validator.validate(validator_->compiled, adapter, &*results)) return Status::Ok();
  } catch (const std::exception& e) {
    return Status::InvalidEvent(key_.Uri() + ": validation failed: " + e.what());
  }
  // valijson reports the enclosing failures first; the innermost is the most specific.
  valijson::ValidationResults::Error error, innermost;
  size_t depth = 0;
  while (results->popError(error)) {
    if (error.context.size() >= depth) {
      depth = error.context.size();
      innermost = error;
    }
  }
  // A checked format travels as a pattern (schema/formats.h); its refusal is worded as one.
  if (innermost.description == kPatternRefused) {
    if (auto format = detail::FormatAt(*root_, doc_, innermost.context)) {
      innermost.description = "String should be a valid " + *format;
    }
  }
  return Status::InvalidEvent(key_.Uri() + ": field " + FieldPath(innermost.context) + ": " +
                              innermost.description);
}

std::optional<std::string> ContextStep(const std::string& step) {
  if (step.size() < 2 || step.front() != '[' || step.back() != ']') return std::nullopt;
  std::string part = step.substr(1, step.size() - 2);
  if (part.size() >= 2 && part.front() == '"' && part.back() == '"') {
    part = part.substr(1, part.size() - 2);
  }
  return part;
}

Status Schema::Validate(const nlohmann::json& data) const {
  return ValidateWith(valijson::adapters::NlohmannJsonAdapter(data));
}

Status Schema::ValidateRapidJson(const rapidjson::Value& data) const {
  return ValidateWith(valijson::adapters::RapidJsonAdapter(data));
}

}  // namespace glassbox::schema
