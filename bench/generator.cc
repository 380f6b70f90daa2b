#include "bench/generator.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace glassbox::bench {
namespace {

const std::vector<std::string> kCommands = {"run", "elt", "invoke", "add", "install", "config",
                                            "schedule", "select", "test", "init", "lock",
                                            "state", "job", "environment", "upgrade"};
const std::vector<std::string> kSubCommands = {"extractor", "loader", "transformer", "list",
                                               "set", "unset", "orchestrator", "utility"};
const std::vector<std::string> kExtractors = {
    "tap-github", "tap-postgres", "tap-salesforce", "tap-stripe", "tap-hubspot", "tap-gitlab",
    "tap-mysql", "tap-google-analytics", "tap-shopify", "tap-zendesk", "tap-slack", "tap-csv",
    "tap-jira", "tap-facebook", "tap-s3-csv", "tap-mongodb", "tap-snowflake", "tap-smoke-test"};
const std::vector<std::string> kLoaders = {"target-postgres", "target-snowflake",
                                           "target-bigquery", "target-jsonl", "target-duckdb",
                                           "target-redshift", "target-s3", "target-csv"};
const std::vector<std::string> kVariants = {"meltano", "singer-io", "transferwise",
                                            "meltanolabs", "pipelinewise", "airbyte"};
const std::vector<std::string> kFlags = {"--full-refresh", "--log-level=debug", "--dry-run",
                                         "--force", "--no-install", "--state-id", "--merge-state",
                                         "--select", "--environment=prod", "--help", "-v"};

std::string RandomDate(std::mt19937_64& rng) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "2026-%02d-%02d", static_cast<int>(rng() % 12 + 1),
                static_cast<int>(rng() % 28 + 1));
  return buf;
}

}  // namespace

size_t EventGenerator::Zipf(size_t n) {
  double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  size_t i = static_cast<size_t>(std::pow(u, 2.5) * static_cast<double>(n));
  return i < n ? i : n - 1;
}

std::string EventGenerator::NextInput() {
  nlohmann::json in;
  in["command"] = kCommands[Zipf(kCommands.size())];
  if (Pick(3) == 0) in["sub_command"] = kSubCommands[Pick(kSubCommands.size())];
  nlohmann::json plugins = nlohmann::json::array();
  nlohmann::json args = nlohmann::json::array();
  size_t n_plugins = Zipf(4);
  for (size_t i = 0; i < n_plugins; ++i) {
    bool loader = i % 2 == 1;
    const auto& names = loader ? kLoaders : kExtractors;
    std::string name = names[Zipf(names.size())];
    nlohmann::json config = {{"start_date", RandomDate(rng_)}};
    if (loader) config["schema"] = "analytics_" + std::to_string(Pick(5));
    else config["repository"] = "acme/repo-" + std::to_string(Zipf(50));
    plugins.push_back({{"name", name}, {"variant", kVariants[Zipf(kVariants.size())]},
                       {"config", config}});
    args.push_back(name);
  }
  for (size_t i = 0, n = Zipf(5); i < n; ++i) args.push_back(kFlags[Zipf(kFlags.size())]);
  if (Pick(4) == 0) args.push_back("--state-id=job-" + std::to_string(Pick(1000)));
  in["args"] = args;
  in["plugins"] = plugins;
  in["project_config"] = {{"project_id", "p-" + std::to_string(Zipf(20))},
                          {"environments", {"dev", "staging", "prod"}},
                          {"default_environment", Pick(2) ? "dev" : "prod"}};
  in["settings"] = {{"TAP_GITHUB_TOKEN", "ghp_" + std::to_string(rng_())},
                    {"DATABASE_URL", "postgres://user:pw@db/" + std::to_string(Pick(9))}};
  return in.dump();
}

std::string EventGenerator::NextNdjsonLine() {
  return R"({"schema":"cli_event","data":)" + NextInput() + "}";
}

}  // namespace glassbox::bench
