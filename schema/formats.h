#pragma once
// valijson 1.0 checks `format` (date, time, date-time) with a std::regex that it compiles again
// for every value it checks: ~0.4 ms per field per event (bench/README.md). It also reads a
// null as a string, so a nullable date-time field refused null. The copy of a schema handed to
// valijson says the same with a `pattern`, which Schema::ValidateWith compiles once per thread
// and which, as JSON Schema says of formats, applies to strings only.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/schema.h"

namespace glassbox::schema::detail {

// The pattern that accepts what valijson's `format` accepts (dates by month and day, February
// up to the 29th), or nullptr for a format valijson does not check.
const char* PatternForFormat(std::string_view format);

// Replaces, in `schema` and every subschema, each checked `format` with its pattern (inside an
// `allOf` where the schema has a pattern of its own). Values that are not schemas (`enum`,
// `const`, `default`, `examples`) are left as they are.
void RewriteFormats(nlohmann::json& schema);

// The format of the field at valijson's error `context` (as "<root>", "[name]", "[0]"...),
// when its schema has a checked format and no pattern of its own: a refused pattern there is
// the format's. Found through the privacy plan, whose nodes name their place in `doc`.
std::optional<std::string> FormatAt(const Node& root, const nlohmann::json& doc,
                                    const std::vector<std::string>& context);

}  // namespace glassbox::schema::detail
