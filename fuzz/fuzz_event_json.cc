// Fuzz target: one event's input JSON through the input guard, then the anonymizer and schema
// validation against the built-in cli_event schema and a recursive test schema.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "recorder/anonymizer.h"
#include "recorder/input_guard.h"
#include "schema/schema.h"

namespace {

// A tree (recursive $ref), a map, and every privacy class.
constexpr const char* kTreeSchema = R"({
  "$id": "iglu:dev.glassbox.fuzz/tree/jsonschema/1-0-0",
  "type": "object",
  "properties": {
    "root": {"$ref": "#/definitions/node"},
    "labels": {"type": "object", "additionalProperties": {"type": "string", "x-privacy": "md5"}},
    "secret": {"type": ["string", "null"], "x-privacy": "hmac-sha256"},
    "n": {"type": "number", "minimum": -1e9, "maximum": 1e9, "x-privacy": "clear"},
    "gone": {"x-privacy": "drop"}
  },
  "additionalProperties": false,
  "definitions": {
    "node": {
      "type": "object",
      "properties": {
        "name": {"type": "string", "maxLength": 64, "pattern": "^[a-z]*$", "x-privacy": "clear"},
        "config": {"type": "string", "x-privacy": "sha256"},
        "children": {"type": "array", "maxItems": 8, "items": {"$ref": "#/definitions/node"}}
      },
      "additionalProperties": false
    }
  }
})";

struct Schemas {
  std::unique_ptr<glassbox::schema::Registry> registry;
  std::unique_ptr<glassbox::schema::Schema> tree;
  Schemas() {
    registry = std::move(glassbox::schema::Registry::Open("").value());
    tree = std::move(
        glassbox::schema::Schema::Compile(nlohmann::json::parse(kTreeSchema), "fuzz-tree.json")
            .value());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Schemas schemas;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json input;
  glassbox::Status parsed = glassbox::recorder::ParseInput(text, "fuzz", &input);
  // ParseInput's simdjson fast path must agree with the nlohmann reference on every input:
  // the same verdict, the same words, the same value.
  nlohmann::json reference;
  glassbox::Status expected =
      glassbox::recorder::detail::ParseInputWithNlohmann(text, "fuzz", &reference);
  if (parsed.ok() != expected.ok() || parsed.message() != expected.message()) __builtin_trap();
  if (parsed.ok() && (input != reference || input.dump() != reference.dump())) __builtin_trap();
  if (!parsed.ok()) return 0;
  glassbox::recorder::AnonymizeOptions options;
  options.hmac_key = "fuzz-key";
  auto cli_event = schemas.registry->Find("cli_event");
  if (cli_event.ok()) (void)glassbox::recorder::Anonymize(*cli_event.value(), input, options);
  (void)glassbox::recorder::Anonymize(*schemas.tree, input, options);
  return 0;
}
