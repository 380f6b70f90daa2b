// Fuzz target: schema documents through naming, the privacy plan and valijson's parser.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "schema/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  auto schema = glassbox::schema::Schema::Compile(std::move(doc), "fuzz.json");
  if (!schema.ok()) return 0;
  (void)schema.value()->Fields();
  (void)schema.value()->Validate(nlohmann::json::object());
  (void)schema.value()->Validate({{"a", {1, "x", nullptr}}});
  (void)schema.value()->Validate({{"a", "x"}});  // a refused format is worded from the plan
  return 0;
}
