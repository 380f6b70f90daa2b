#include "replay/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace glassbox::replay {
namespace {

Config Parse(const std::string& text) {
  auto c = ParseConfig(text, "test.toml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? c.value() : Config{};
}

std::string Error(const std::string& text) {
  auto c = ParseConfig(text, "test.toml");
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.status().message();
}

TEST(Durations, ParseUnitsAndCombinations) {
  EXPECT_EQ(ParseDuration("10s"), Millis(10'000));
  EXPECT_EQ(ParseDuration("15m"), Millis(900'000));
  EXPECT_EQ(ParseDuration("6h"), Millis(21'600'000));
  EXPECT_EQ(ParseDuration("7d"), Millis(604'800'000));
  EXPECT_EQ(ParseDuration("250ms"), Millis(250));
  EXPECT_EQ(ParseDuration("1h30m"), Millis(5'400'000));
  EXPECT_EQ(ParseDuration("0"), Millis(0));
  for (const char* bad : {"", "10", "6 h", "-5s", "1y", "h", "5sx", "1.5h"}) {
    EXPECT_FALSE(ParseDuration(bad)) << bad;
  }
  // At most 100 years, for each term and for the sum (fuzz_config found a sum of terms, each
  // in range, that overflowed int64).
  EXPECT_EQ(ParseDuration("36500d"), kMaxDuration);
  EXPECT_EQ(ParseDuration("36499d24h"), kMaxDuration);
  for (const char* huge : {"36501d", "36500d1ms", "876001h", "36499d25h",
                           "4611686018427387s4611686018427387s4611686018427387s"}) {
    EXPECT_FALSE(ParseDuration(huge)) << huge;
  }
  EXPECT_EQ(FormatDuration(Millis(5'400'000)), "1h30m");
  EXPECT_EQ(FormatDuration(Millis(0)), "0s");
}

TEST(Sizes, ParseBinaryAndDecimalUnits) {
  EXPECT_EQ(ParseSize("1MiB"), 1 << 20);
  EXPECT_EQ(ParseSize("64KiB"), 64 << 10);
  EXPECT_EQ(ParseSize("2GiB"), int64_t{2} << 30);
  EXPECT_EQ(ParseSize("5MB"), 5'000'000);
  EXPECT_EQ(ParseSize("512"), 512);
  for (const char* bad : {"", "MiB", "1 MiB", "1TiB", "-1", "1.5MiB"}) EXPECT_FALSE(ParseSize(bad));
}

TEST(Windows, ParseCrossingMidnightAndWholeDay) {
  EXPECT_EQ(ParseWindow("01:00-05:00"), (Window{60, 300}));
  EXPECT_EQ(ParseWindow("22:30-02:00"), (Window{1350, 120}));
  EXPECT_EQ(ParseWindow("00:00-24:00"), (Window{0, 1440}));
  for (const char* bad : {"1:00-5:00", "01:00-01:00", "25:00-01:00", "01:60-02:00", "24:00-01:00",
                          "01:00 05:00", "01:00-05:00x"}) {
    EXPECT_FALSE(ParseWindow(bad)) << bad;
  }
  EXPECT_EQ(FormatWindow({1350, 120}), "22:30-02:00");
}

TEST(Config, EmptyFileGivesDocumentedDefaults) {
  Config c = Parse("");
  EXPECT_EQ(c.upload.endpoint, "");
  EXPECT_TRUE(c.upload.windows.empty());
  EXPECT_EQ(c.upload.min_interval, Millis(0));
  EXPECT_EQ(c.upload.max_batch_events, 4096);
  EXPECT_EQ(c.upload.max_batch_bytes, 4 << 20);
  EXPECT_EQ(c.upload.max_bytes_per_run, 50 << 20);
  EXPECT_EQ(c.upload.compression, Compression::kZstd);
  EXPECT_EQ(c.upload.connect_timeout, Millis(10'000));
  EXPECT_EQ(c.upload.timeout, Millis(60'000));
  EXPECT_EQ(c.upload.jitter, Millis(0));
  EXPECT_FALSE(c.upload.allow_insecure_http);
  EXPECT_EQ(c.retention.max_age, Millis(90ll * 86'400'000));
  EXPECT_EQ(c.retention.keep_sent, Millis(7ll * 86'400'000));
}

TEST(Config, ReadsTheIssueExample) {
  Config c = Parse(R"(
[upload]
endpoint = "https://collector.example.com/v1/events"
windows = ["01:00-05:00", "22:00-23:30"]
min_interval = "6h"
max_batch_events = 200
max_batch_bytes = "256KiB"
max_bytes_per_run = "50MiB"
compression = "gzip"
connect_timeout = "5s"
timeout = "30s"
ca_file = "/etc/ssl/certs/ca-certificates.crt"
jitter = "15m"
headers = { "X-Api-Key" = "env:TELEMETRY_API_KEY", "X-Tenant" = "acme", "X-Token" = "file:/run/token" }
allow_insecure_http = false
[retention]
max_age = "30d"
max_journal_bytes = "64MiB"
keep_sent = "1d"
)");
  EXPECT_EQ(c.upload.windows.size(), 2u);
  EXPECT_EQ(c.upload.min_interval, Millis(6 * 3'600'000));
  EXPECT_EQ(c.upload.max_batch_events, 200);
  EXPECT_EQ(c.upload.max_batch_bytes, 256 << 10);
  EXPECT_EQ(c.upload.compression, Compression::kGzip);
  EXPECT_EQ(c.upload.jitter, Millis(900'000));
  ASSERT_EQ(c.upload.headers.size(), 3u);
  EXPECT_EQ(c.retention.max_journal_bytes, 64 << 20);
  EXPECT_EQ(c.retention.keep_sent, Millis(86'400'000));
}

TEST(Config, UnknownKeysAreErrorsNamingTheKey) {
  EXPECT_NE(Error("[upload]\nendpont = \"https://x\"\n").find("upload.endpont"), std::string::npos);
  EXPECT_NE(Error("[uplod]\n").find("uplod"), std::string::npos);
  EXPECT_NE(Error("[retention]\nmax_days = 3\n").find("retention.max_days"), std::string::npos);
}

TEST(Config, BadValuesAreErrorsNamingTheKeyNotTheValue) {
  std::string e = Error("[upload]\nmin_interval = \"SECRET-6 hours\"\n");
  EXPECT_NE(e.find("upload.min_interval"), std::string::npos);
  EXPECT_EQ(e.find("SECRET"), std::string::npos);
  EXPECT_NE(Error("[upload]\ncompression = \"brotli\"\n").find("upload.compression"),
            std::string::npos);
  EXPECT_NE(Error("[upload]\nmax_batch_events = 0\n").find("upload.max_batch_events"),
            std::string::npos);
  EXPECT_NE(Error("[upload]\nwindows = [\"25:00-01:00\"]\n").find("upload.windows"),
            std::string::npos);
  EXPECT_NE(Error("[upload]\nallow_insecure_http = \"yes\"\n").find("upload.allow_insecure_http"),
            std::string::npos);
  EXPECT_NE(Error("[upload]\nheaders = { \"Content-Type\" = \"x\" }\n").find("Content-Type"),
            std::string::npos);
  EXPECT_NE(Error("[upload\n").find("test.toml:1"), std::string::npos);
  // A duration past the limit says what the limit is.
  EXPECT_NE(Error("[upload]\nmin_interval = \"40000d\"\n").find("at most \"36500d\""),
            std::string::npos);
}

TEST(Config, PlainHttpOnlyToLoopbackUnlessAllowed) {
  Parse("[upload]\nendpoint = \"http://127.0.0.1:8080/v1/events\"\n");
  Parse("[upload]\nendpoint = \"http://localhost/v1\"\n");
  Parse("[upload]\nendpoint = \"http://[::1]:9/v1\"\n");
  EXPECT_NE(Error("[upload]\nendpoint = \"http://collector.example.com/v1\"\n")
                .find("allow_insecure_http"),
            std::string::npos);
  Parse("[upload]\nendpoint = \"http://collector.example.com/v1\"\nallow_insecure_http = true\n");
  EXPECT_NE(Error("[upload]\nendpoint = \"ftp://x/y\"\n").find("upload.endpoint"),
            std::string::npos);
}

TEST(Config, CommandsThatNeverUploadSkipOnlyTheEndpointCheck) {
  std::string text = "[upload]\nendpoint = \"ftp://x/y\"\n";
  EXPECT_FALSE(ParseConfig(text, "test.toml").ok());
  auto skipped = ParseConfig(text, "test.toml", EndpointCheck::kSkip);
  ASSERT_TRUE(skipped.ok()) << skipped.status().message();
  EXPECT_EQ(skipped->upload.endpoint, "ftp://x/y");
  // Everything else is still checked.
  EXPECT_FALSE(ParseConfig(text + "backoff_base = \"0s\"\n", "t", EndpointCheck::kSkip).ok());
  EXPECT_FALSE(ParseConfig("[nope]\n", "t", EndpointCheck::kSkip).ok());
}

TEST(Config, HeadersResolveFromEnvAndFilesAndErrorsNeverShowValues) {
  Config c =
      Parse("[upload]\nheaders = { \"X-Api-Key\" = \"env:GB_TEST_KEY\", \"X-Lit\" = \"plain\" }\n");
  ::setenv("GB_TEST_KEY", "SECRET-VALUE", 1);
  auto h = ResolveHeaders(c.upload.headers);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.value()[0], (std::pair<std::string, std::string>{"X-Api-Key", "SECRET-VALUE"}));
  EXPECT_EQ(h.value()[1].second, "plain");
  ::unsetenv("GB_TEST_KEY");
  auto missing = ResolveHeaders(c.upload.headers);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("GB_TEST_KEY"), std::string::npos);
  EXPECT_EQ(missing.status().message().find("SECRET"), std::string::npos);
}

TEST(Config, MissingDefaultFileGivesDefaultsButMissingNamedFileIsAnError) {
  EXPECT_TRUE(LoadConfig("/nonexistent/glassbox.toml", false).ok());
  EXPECT_FALSE(LoadConfig("/nonexistent/glassbox.toml", true).ok());
}

}  // namespace
}  // namespace glassbox::replay
