// Cost of the secret/PII scrubber: anonymizing realistic cli_event inputs with and without it,
// and scrubbing single strings with and without secrets in them; and the cost of hashing one
// value (sha256, hmac-sha256 next to OpenSSL's one-shot HMAC()). Prints figures; not a test.
//   build/bench/scrub_bench [events]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/digest.h"
#include "recorder/anonymizer.h"
#include "recorder/scrubber.h"
#include "schema/schema.h"

namespace {

using Clock = std::chrono::steady_clock;
using glassbox::recorder::AnonymizeOptions;

std::vector<nlohmann::json> Inputs() {
  const char* commands[] = {"run", "elt", "invoke", "install", "add", "config", "test", "init"};
  const char* plugins[] = {"tap-github",   "target-postgres", "dbt-postgres", "tap-csv",
                           "target-jsonl", "airflow",         "sqlfluff",     "great-expectations"};
  std::vector<nlohmann::json> out;
  for (int i = 0; i < 64; ++i) {
    out.push_back({{"command", commands[i % 8]},
                   {"sub_command", i % 3 ? nlohmann::json(nullptr) : nlohmann::json("set")},
                   {"args", {"--full-refresh", "--select", "model_" + std::to_string(i)}},
                   {"plugins",
                    {{{"name", plugins[i % 8]}, {"variant", "meltanolabs"}, {"config", {{"n", i}}}},
                     {{"name", plugins[(i + 3) % 8]}, {"variant", nullptr}}}},
                   {"project_config", {{"id", i}}},
                   {"settings", {{"password", "x"}}}});
  }
  return out;
}

double MicrosPerEvent(const glassbox::schema::Schema& schema, const AnonymizeOptions& options,
                      const std::vector<nlohmann::json>& inputs, int n) {
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto r = glassbox::recorder::Anonymize(schema, inputs[static_cast<size_t>(i) % inputs.size()],
                                           options);
    if (!r.ok()) std::abort();
  }
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

double MicrosPerString(const glassbox::recorder::Scrubber& scrub, const std::string& text, int n) {
  std::map<std::string, int> counts;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::string copy = text;
    scrub(copy, counts);
  }
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

// One value hashed n times, best of five rounds; `hash` returns a byte that is kept so the
// work cannot be optimised away.
template <class Hash>
double MicrosPerHash(Hash hash, int n) {
  std::string value = "tap-github--meltanolabs-01";
  unsigned sink = 0;
  double best = 1e9;
  for (int round = 0; round < 5; ++round) {
    auto start = Clock::now();
    for (int i = 0; i < n / 5; ++i) {
      value[0] = static_cast<char>('a' + i % 26);
      sink += hash(value);
    }
    best = std::min(
        best, std::chrono::duration<double, std::micro>(Clock::now() - start).count() / (n / 5));
  }
  if (sink == 1) std::puts("");
  return best;
}

// What `pattern` and `format` cost a schema's events: the same event against a schema that
// only types its fields (the baseline) and one that also constrains them. Each is compiled
// once per thread; before that, every event compiled a std::regex per constrained field
// (~15 µs a pattern, ~0.4 ms a date-time: bench/README.md).
void PrintSchemaFeatureCosts(int n) {
  auto compile = [](bool constrained) {
    nlohmann::json command = {{"type", "string"}, {"x-privacy", "clear"}};
    nlohmann::json at = {{"type", {"string", "null"}}, {"x-privacy", "clear"}};
    if (constrained) {
      command["pattern"] = "^[a-z][a-z0-9_-]*$";
      at["format"] = "date-time";
    }
    nlohmann::json doc = {{"$schema", "http://json-schema.org/draft-07/schema#"},
                          {"$id", "iglu:com.acme/bench/jsonschema/1-0-0"},
                          {"type", "object"},
                          {"properties", {{"command", command}, {"at", at}}},
                          {"additionalProperties", false}};
    auto schema = glassbox::schema::Schema::Compile(doc, "bench.json");
    if (!schema.ok()) std::abort();
    return std::move(schema.value());
  };
  auto plain = compile(false), constrained = compile(true);
  std::vector<nlohmann::json> events = {{{"command", "run"}, {"at", "2026-12-08T01:02:03.456Z"}},
                                        {{"command", "elt"}, {"at", nullptr}}};
  AnonymizeOptions options;
  double base = 1e9, with = 1e9;
  for (int round = 0; round < 5; ++round) {
    base = std::min(base, MicrosPerEvent(*plain, options, events, n / 5));
    with = std::min(with, MicrosPerEvent(*constrained, options, events, n / 5));
  }
  std::printf(
      "anonymize 2 fields: %.2f us/event typed only (baseline), %.2f with a pattern and a "
      "date-time format\n",
      base, with);
}

void PrintHashCosts(int n) {
  const std::string key(32, 'k');
  double sha =
      MicrosPerHash([](const std::string& v) { return glassbox::base::Sha256Hex(v)[0]; }, n);
  double hmac = MicrosPerHash(
      [&key](const std::string& v) { return glassbox::base::HmacSha256Hex(key, v)[0]; }, n);
  double one_shot = MicrosPerHash(
      [&key](const std::string& v) {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(v.data()), v.size(), out, &len);
        return glassbox::base::ToHex(std::string(reinterpret_cast<char*>(out), len))[0];
      },
      n);
  std::printf(
      "hash one 26-byte value: sha256 %.3f us, hmac-sha256 %.3f us (baseline, OpenSSL's one-shot "
      "HMAC(): %.3f us)\n",
      sha, hmac, one_shot);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  auto registry = glassbox::schema::Registry::Open("");
  auto schema = registry.ok() ? registry.value()->Find("cli_event") : registry.status();
  if (!schema.ok()) return 1;
  auto inputs = Inputs();
  auto compile_start = Clock::now();
  AnonymizeOptions with;
  with.hmac_key = "k";
  with.scrubber = glassbox::recorder::DefaultScrubber();
  std::map<std::string, int> ignored;
  std::string first = "x";
  with.scrubber(first, ignored);  // the compile runs on its own thread: the first call waits
  double compile_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - compile_start).count();
  AnonymizeOptions without = with;
  without.scrubber = nullptr;
  MicrosPerEvent(*schema.value(), with, inputs, n / 10);  // warm the DFA caches
  // The machine may be shared: alternate the two and keep the best of five rounds each.
  double base = 1e9, scrubbed = 1e9;
  for (int round = 0; round < 5; ++round) {
    base = std::min(base, MicrosPerEvent(*schema.value(), without, inputs, n / 5));
    scrubbed = std::min(scrubbed, MicrosPerEvent(*schema.value(), with, inputs, n / 5));
  }
  std::printf("rule set compile: %.2f ms (once per Recorder, on a thread of its own)\n",
              compile_ms);
  std::printf(
      "anonymize cli_event: %.2f us/event without scrubber, %.2f with: scrubber %.2f "
      "us/event (best of 5 x %d events, 4-5 clear strings each)\n",
      base, scrubbed, scrubbed - base, n / 5);
  std::printf("scrub one clean 40-byte string: %.3f us\n",
              MicrosPerString(with.scrubber, "meltano elt tap-github target-postgres", n));
  std::printf("scrub one 120-byte string with 4 secrets: %.3f us\n",
              MicrosPerString(with.scrubber,
                              "postgres://u:p@db/x from 10.0.0.1 by jane@example.org "
                              "token=abc123 in /home/jane/src",
                              n));
  PrintHashCosts(n);
  PrintSchemaFeatureCosts(n);
  return 0;
}
