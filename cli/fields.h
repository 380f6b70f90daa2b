#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace glassbox::cli {

// Builds an event's input from --data JSON and --field KEY=VALUE (a string) or KEY:=JSON.
// Throws Failure (usage) naming the bad field, never its value.
nlohmann::json BuildInput(const std::string& data_json, const std::vector<std::string>& fields);

}  // namespace glassbox::cli
