// Each scrub rule with inputs it must redact and look-alikes it must leave alone.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <fstream>
#include <thread>

#include "recorder/scrub_rules.h"
#include "recorder/scrubber.h"

namespace glassbox::recorder {
namespace {

struct Case {
  std::string input;
  std::string expected;
};

class ScrubberTest : public ::testing::Test {
 protected:
  std::string Scrub(std::string text) {
    counts_.clear();
    scrub_(text, counts_);
    return text;
  }
  // Every case is redacted as expected, and each marker in the output was counted.
  void ExpectAll(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      EXPECT_EQ(Scrub(c.input), c.expected) << "input: " << c.input;
      std::map<std::string, int> markers;
      CountMarkers(nlohmann::json(c.expected), markers);
      EXPECT_EQ(counts_, markers) << "input: " << c.input;
    }
  }
  void ExpectUntouched(const std::vector<std::string>& inputs) {
    for (const auto& in : inputs) {
      EXPECT_EQ(Scrub(in), in);
      EXPECT_TRUE(counts_.empty()) << "input: " << in;
    }
  }
  Scrubber scrub_ = DefaultScrubber();
  std::map<std::string, int> counts_;
};

TEST_F(ScrubberTest, EveryRuleCompilesAndRedactsItsDocumentedExample) {
  for (const auto& rule : detail::ScrubRules()) {
    RE2 re(rule.pattern);
    EXPECT_TRUE(re.ok()) << rule.kind << ": " << re.error();
    EXPECT_NE(std::string(rule.catches), "");
  }
  EXPECT_EQ(Scrub("x AKIAIOSFODNN7EXAMPLE y"), "x [redacted:aws_key] y");
}

TEST_F(ScrubberTest, ReadmeDocumentsEveryKind) {
  std::ifstream in(std::string(GLASSBOX_SOURCE_DIR) + "/README.md");
  std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t table = readme.find("### What the scrubber catches");
  ASSERT_NE(table, std::string::npos);
  for (const auto& rule : detail::ScrubRules()) {
    EXPECT_NE(readme.find(std::string("`") + rule.kind + "`", table), std::string::npos)
        << rule.kind;
  }
}

TEST_F(ScrubberTest, PrivateKeyBlocksIncludingCutOffOnes) {
  ExpectAll({
      {"key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK==\n-----END RSA PRIVATE KEY----- ok",
       "key: [redacted:private_key] ok"},
      {"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE "
       "KEY-----",
       "[redacted:private_key]"},
      {"-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----",
       "[redacted:private_key]"},
      {"pasted: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg", "pasted: [redacted:private_key]"},
  });
  ExpectUntouched({"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                   "-----BEGIN PUBLIC KEY-----"});
}

TEST_F(ScrubberTest, UrlCredentialsKeepSchemeAndHost) {
  ExpectAll({
      {"postgres://app:hunter2@db.internal:5432/prod",
       "postgres://[redacted:url_credentials]@db.internal:5432/prod"},
      {"clone https://ghuser:x0x0@github.com/o/r.git",
       "clone https://[redacted:url_credentials]@github.com/o/r.git"},
      {"amqp://guest:p@ss@rabbit/", "amqp://[redacted:url_credentials]@rabbit/"},
      {"https://tok3n@example.com", "https://[redacted:url_credentials]@example.com"},
  });
  ExpectUntouched({"https://example.com/a?b=c", "https://example.com/@user/post",
                   "mailto is not a URL: https://x.org/#frag@x"});
}

TEST_F(ScrubberTest, AuthorizationHeadersAndBearerTokens) {
  ExpectAll({
      {"Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Authorization: [redacted:authorization]"},
      {"-H 'authorization: token abc123'", "-H 'authorization: [redacted:authorization]'"},
      {R"({"Authorization": "Bearer abc.def"})",
       R"({"Authorization": "[redacted:authorization]"})"},
      {"curl -H Bearer 8f14e45fceea167a5a36dedd", "curl -H Bearer [redacted:authorization]"},
      {"Proxy-Authorization=Negotiate YII=\nnext",
       "Proxy-Authorization=[redacted:authorization]\nnext"},
  });
  ExpectUntouched({"the bearer of bad news", "bearer token", "authorization failed", "authors: 3"});
}

TEST_F(ScrubberTest, JsonWebTokens) {
  ExpectAll(
      {{"jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_"
        "wW1gFWFOEjXk",
        "jwt=[redacted:jwt]"},
       {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIiwiaWF0IjoxfQ. unsigned", "[redacted:jwt] unsigned"}});
  ExpectUntouched({"eyJ", "eyJhbGciOiJIUzI1NiJ9 alone"});
}

TEST_F(ScrubberTest, CloudSourceHostingAndChatTokens) {
  ExpectAll({
      {"AKIAIOSFODNN7EXAMPLE", "[redacted:aws_key]"},
      {"ASIAY34FZKBOKMUTVV7A,", "[redacted:aws_key],"},
      {"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "[redacted:github_token]"},
      {"gho_16C7e42F292c6912E7710c838347Ae178B4a", "[redacted:github_token]"},
      {"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
       "[redacted:github_token]"},
      {"glpat-xYz0123456789abcdEFGH", "[redacted:gitlab_token]"},
      {"xoxb-123456789012-1234567890123-AbCdEfGhIjKl", "[redacted:slack_token]"},
      {"xoxp-1-2-3-abcdefabcdef", "[redacted:slack_token]"},
      {"post https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX now",
       "post [redacted:slack_webhook] now"},
      {"AIzaSyA1234567890abcdefghijklmnopqrstuv", "[redacted:google_api_key]"},
      {"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[redacted:stripe_key]"},
      {"npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "[redacted:npm_token]"},
      {"pypi-AgEIcHlwaS5vcmcCJDU3ZTJkNTdhLTg0YjctNDM4Ni04ZmRjLWRjN2ZkMTQ5OTNhNgACKlszLCJmM",
       "[redacted:pypi_token]"},
  });
  ExpectUntouched({"AKIA-docs", "ghp_short", "glpat-short", "xoxb-", "AIza", "task-runner",
                   "AKIAIOSFODNN7EXAMPLEXYZ"});
}

TEST_F(ScrubberTest, SecretAssignmentsInEveryCommonSyntax) {
  ExpectAll({
      {"DB_PASSWORD=hunter2 make", "DB_PASSWORD=[redacted:assignment] make"},
      {"password: 'correct horse'", "password: [redacted:assignment]"},
      {R"({"api_key": "k-123", "n": 1})", R"({"api_key": [redacted:assignment], "n": 1})"},
      {"https://x.io/cb?access_token=abc123&state=ok",
       "https://x.io/cb?access_token=[redacted:assignment]&state=ok"},
      {"Server=db;User Id=sa;Password=Pa55w0rd;",
       "Server=db;User Id=sa;Password=[redacted:assignment];"},
      {"export GITHUB_TOKEN=abc", "export GITHUB_TOKEN=[redacted:assignment]"},
      {"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
       "AWS_SECRET_ACCESS_KEY=[redacted:assignment]"},
      {"s3.amazonaws.com/f?X-Amz-Signature=abcd",
       "s3.amazonaws.com/f?X-Amz-Signature=[redacted:assignment]"},
      {"login --password hunter2 --verbose", "login --password [redacted:assignment] --verbose"},
      {"run --db-pass s3cr3t", "run --db-pass [redacted:assignment]"},
      {"client_secret = xyz", "client_secret = [redacted:assignment]"},
      {"key=value", "key=[redacted:assignment]"},
  });
  // A token that a more specific rule already caught is counted once, under that rule.
  ExpectAll(
      {{"GH_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "GH_TOKEN=[redacted:github_token]"}});
  ExpectUntouched({"max_tokens=100 tokens: 5", "monkey=3", "bypass=yes", "author=jane",
                   "tokenizer=bert", "password=", "--password --verbose", "keyboard: us",
                   "passwords are never collected"});
}

TEST_F(ScrubberTest, LuhnCheckedCardNumbers) {
  ExpectAll({
      {"card 4111 1111 1111 1111 exp", "card [redacted:card] exp"},
      {"4111-1111-1111-1111", "[redacted:card]"},
      {"5500000000000004", "[redacted:card]"},
      {"amex 378282246310005.", "amex [redacted:card]."},
      {"6011111111111117", "[redacted:card]"},
      {"4111 1111 1111 1111 7", "[redacted:card] 7"},  // the longest Luhn-valid run
  });
  ExpectUntouched({"4111 1111 1111 1112", "1700000000000", "1234567890123", "order 12345",
                   "41111111111111111111111", "2024-01-01"});
}

TEST_F(ScrubberTest, EmailAddresses) {
  ExpectAll({
      {"mail jane.doe+ci@example.org now", "mail [redacted:email] now"},
      {"<a.b@sub.example.co.uk>", "<[redacted:email]>"},
      {"git@github.com:org/repo.git", "[redacted:email]:org/repo.git"},
  });
  ExpectUntouched({"@user", "a@b", "npm install @scope/pkg@1.2.3", "user@localhost"});
}

TEST_F(ScrubberTest, Ipv4AddressesButNotVersionStrings) {
  ExpectAll({
      {"connect 10.0.0.1:5432", "connect [redacted:ip]:5432"},
      {"from 192.168.001.010/24", "from [redacted:ip]/24"},
      {"ping 8.8.8.8.", "ping [redacted:ip]."},
      {"255.255.255.255 0.0.0.0", "[redacted:ip] [redacted:ip]"},
      {"ip=172.16.5.4,", "ip=[redacted:ip],"},
      {"1.2.3.4", "[redacted:ip]"},  // a bare dotted quad is ambiguous: treated as an address
      {"http://127.0.0.1:8080/x", "http://[redacted:ip]:8080/x"},
  });
  ExpectUntouched({"1.2.3", "v1.2.3.4", "1.2.3.4-beta", "1.2.3.4+build5", "1.2.3.4.5",
                   "10.0.19041.1", "256.1.1.1", "version 2.31.0", "python3.11.7"});
}

TEST_F(ScrubberTest, Ipv6AddressesInEverySpelling) {
  ExpectAll({
      {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[redacted:ip]"},
      {"addr 2001:db8::1 up", "addr [redacted:ip] up"},
      {"::1", "[redacted:ip]"},
      {"via ::ffff:192.0.2.128 ok", "via [redacted:ip] ok"},
      {"fe80::1ff:fe23:4567:890a%eth0", "[redacted:ip]"},
      {"http://[2001:db8::8a2e:370:7334]:443/", "http://[[redacted:ip]]:443/"},
      {"http://[fe80::1%25en0]/", "http://[[redacted:ip]]/"},
      {"addr:2001:db8::1", "addr:[redacted:ip]"},
      {"2001:db8::1: connection refused", "[redacted:ip]: connection refused"},
      {"64:ff9b::10.1.2.3", "[redacted:ip]"},
      {"FE80:0:0:0:0:0:0:1", "[redacted:ip]"},
  });
  ExpectUntouched({"std::vector", "12:30:45", "Add::Feed", "a::b::c", "::", "u8::MAX",
                   "2024-01-01T12:34:56Z", "ns::ab1::fn"});
}

TEST_F(ScrubberTest, MacAddresses) {
  ExpectAll(
      {{"hw 00:1a:2b:3c:4d:5e", "hw [redacted:mac]"}, {"AA-BB-CC-DD-EE-FF", "[redacted:mac]"}});
  ExpectUntouched({"00:1a:2b", "12:30:45"});
}

TEST_F(ScrubberTest, HomePathsLoseOnlyTheUserName) {
  ExpectAll({
      {"/home/alice/src/app", "/home/[redacted:home_path]/src/app"},
      {"cd /Users/bob.smith/Library", "cd /Users/[redacted:home_path]/Library"},
      {"--config=/home/carol", "--config=/home/[redacted:home_path]"},
      {"file:///home/dave/x.txt", "file:///home/[redacted:home_path]/x.txt"},
      {"/var/home/erin/.cache", "/var/home/[redacted:home_path]/.cache"},
      {R"(C:\Users\Jane Doe\AppData\x)", R"(C:\Users\[redacted:home_path]\AppData\x)"},
      {R"(c:/users/frank/x)", R"(c:/users/[redacted:home_path]/x)"},
      {"/mnt/c/Users/gina/x", "/mnt/c/Users/[redacted:home_path]/x"},
      {"~heidi/.ssh", "~[redacted:home_path]/.ssh"},
  });
  ExpectUntouched({"/home/", "/usr/share/doc", "https://example.com/home/page", "~/src", "/root/x",
                   "api/Users/42"});
}

TEST_F(ScrubberTest, PlainTextAndNonAsciiPassUntouched) {
  ExpectUntouched({"", "run", "tap-github", "dbt:run", "target-postgres--default",
                   "élan vital — naïve café 10 €", "日本語のテキスト",
                   "meltano elt tap-csv target-jsonl"});
  EXPECT_EQ(Scrub("café 10.0.0.1 日本"), "café [redacted:ip] 日本");
}

TEST_F(ScrubberTest, LongHostileInputStaysLinear) {
  // Patterns that a backtracking engine would explode on; RE2 does not backtrack.
  std::string digits(200000, '1');
  std::string colons;
  for (int i = 0; i < 50000; ++i) colons += "a:";
  std::string ats(100000, '@');
  for (auto* s : {&digits, &colons, &ats}) {
    std::string copy = *s;
    Scrub(copy);
  }
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "10.0.0." + std::to_string(i % 250) + " ";
  Scrub(many);
  EXPECT_EQ(counts_["ip"], 1000);
}

TEST_F(ScrubberTest, CountMarkersIgnoresNonMarkers) {
  std::map<std::string, int> c;
  CountMarkers(nlohmann::json{{"a", "[redacted:ip] [redacted:ip]"},
                              {"b", {"[redacted:email]", "[redacted:Not A Kind]", "[redacted:"}}},
               c);
  EXPECT_EQ(c, (std::map<std::string, int>{{"email", 1}, {"ip", 2}}));
}

// DefaultScrubber() returns before its patterns are compiled (that runs on a thread of its
// own). Calls made at once, from several threads, each wait for the compile and redact alike;
// a scrubber dropped before its first call leaves no thread behind.
TEST(ScrubberStartTest, CallsMadeBeforeTheCompileEndsWaitForIt) {
  Scrubber scrub = DefaultScrubber();
  std::vector<std::string> out(4, "token=abc123 from 10.0.0.1");
  std::vector<std::map<std::string, int>> counts(out.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < out.size(); ++i) {
    threads.emplace_back([&, i] { scrub(out[i], counts[i]); });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i], "token=[redacted:assignment] from [redacted:ip]");
    EXPECT_EQ(counts[i], (std::map<std::string, int>{{"assignment", 1}, {"ip", 1}}));
  }
  for (int i = 0; i < 3; ++i) (void)DefaultScrubber();
}

}  // namespace
}  // namespace glassbox::recorder
