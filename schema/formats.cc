#include "schema/formats.h"

#include <array>

#include "schema/schema_internal.h"

namespace glassbox::schema::detail {
namespace {

// valijson's expressions, with the day of the month bounded by the month as its
// validate_date_range does, and the offset's sign written [+-] (its [\+|\-] also took '|').
#define GB_DATE                                                                                    \
  "[0-9]+-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|" \
  "02-(?:0[1-9]|[12][0-9]))"
#define GB_TIME                                                                                    \
  "(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]" \
  "):[0-5][0-9])"

constexpr std::array<std::pair<std::string_view, const char*>, 3> kPatterns = {{
    {"date", "^" GB_DATE "$"},
    {"time", "^" GB_TIME "$"},
    {"date-time", "^" GB_DATE "[Tt]" GB_TIME "$"},
}};

#undef GB_DATE
#undef GB_TIME

// Keywords whose value is a schema, an array of schemas, or a map of names to schemas.
constexpr std::array<std::string_view, 10> kSchemaKeywords = {
    "additionalProperties", "additionalItems", "items", "not", "if", "then", "else", "contains",
    "propertyNames",        "dependencies"};
constexpr std::array<std::string_view, 3> kSchemaArrays = {"allOf", "anyOf", "oneOf"};
constexpr std::array<std::string_view, 4> kSchemaMaps = {"properties", "patternProperties",
                                                         "definitions", "$defs"};

void RewriteEach(nlohmann::json& schemas) {
  if (schemas.is_array() || schemas.is_object()) {
    for (auto& s : schemas) RewriteFormats(s);
  }
}

}  // namespace

const char* PatternForFormat(std::string_view format) {
  for (const auto& [name, pattern] : kPatterns) {
    if (name == format) return pattern;
  }
  return nullptr;
}

void RewriteFormats(nlohmann::json& schema) {
  if (!schema.is_object()) return;
  for (std::string_view k : kSchemaKeywords) {
    auto it = schema.find(k);
    if (it == schema.end()) continue;
    // `items` and `dependencies` may hold one schema or several; a dependency may also be a
    // list of names, which holds no format.
    if (it->is_array() || (k == "dependencies" && it->is_object())) {
      RewriteEach(*it);
    } else {
      RewriteFormats(*it);
    }
  }
  for (std::string_view k : kSchemaArrays) {
    if (auto it = schema.find(k); it != schema.end()) RewriteEach(*it);
  }
  for (std::string_view k : kSchemaMaps) {
    if (auto it = schema.find(k); it != schema.end() && it->is_object()) RewriteEach(*it);
  }
  auto format = schema.find("format");
  if (format == schema.end() || !format->is_string()) return;
  const char* pattern = PatternForFormat(format->get_ref<const std::string&>());
  if (!pattern) return;
  schema.erase(format);
  if (!schema.contains("pattern")) {
    schema["pattern"] = pattern;
    return;
  }
  nlohmann::json& all = schema["allOf"];
  if (all.is_null()) all = nlohmann::json::array();
  if (all.is_array()) all.push_back({{"pattern", pattern}});
}

std::optional<std::string> FormatAt(const Node& root, const nlohmann::json& doc,
                                    const std::vector<std::string>& context) {
  const Node* node = &root;
  for (size_t i = 1; i < context.size() && node; ++i) {  // context[0] is "<root>"
    auto step = ContextStep(context[i]);
    if (!step) return std::nullopt;
    if (node->kind == Node::Kind::kObject) {
      auto named = node->properties.find(*step);
      node = named != node->properties.end() ? named->second : node->element;
    } else if (node->kind == Node::Kind::kArray) {
      node = node->element;
    } else {
      node = nullptr;
    }
  }
  if (!node) return std::nullopt;
  const nlohmann::json::json_pointer pointer(node->pointer == "/" ? "" : node->pointer);
  if (!doc.contains(pointer)) return std::nullopt;
  const nlohmann::json& schema = doc.at(pointer);
  if (!schema.is_object() || schema.contains("pattern")) return std::nullopt;
  auto format = schema.find("format");
  if (format == schema.end() || !format->is_string() ||
      !PatternForFormat(format->get_ref<const std::string&>())) {
    return std::nullopt;
  }
  return format->get<std::string>();
}

}  // namespace glassbox::schema::detail
