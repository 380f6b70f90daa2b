// THE scrubber rule table: every pattern that rewrites clear-text strings lives here, in the
// order it is applied. README.md ("What the scrubber catches") mirrors this table; keep them in
// step. Patterns are RE2 (linear time in the input, whatever the input), so no string can make
// recording slow. What a rule matches is replaced by [redacted:KIND]; when the pattern has a
// (?P<secret>...) group only that group is replaced, so `password=hunter2` becomes
// `password=[redacted:assignment]` and `/home/alice/src` becomes `/home/[redacted:home_path]/src`.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "recorder/scrub_rules.h"

namespace glassbox::recorder::detail {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWord(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Payment cards: 13-19 digits that pass the Luhn check. The regex may take more digit groups
// than the card ("4111 1111 1111 1111 7"), so shorter runs are tried too, but only ones that end
// where a group ends: a run of digits is never cut in the middle.
bool AcceptCard(std::string_view text, size_t* begin, size_t* end) {
  std::vector<size_t> digits;
  for (size_t i = *begin; i < *end; ++i) {
    if (IsDigit(text[i])) digits.push_back(i);
  }
  for (size_t n = std::min<size_t>(digits.size(), 19); n >= 13; --n) {
    size_t after = digits[n - 1] + 1;
    if (after != *end && IsDigit(text[after])) continue;
    int sum = 0;
    for (size_t k = 0; k < n; ++k) {
      int d = text[digits[n - 1 - k]] - '0';
      if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 == 0) {
      *end = after;
      return true;
    }
  }
  return false;
}

// A dotted quad is an address unless it is part of a longer dotted number (1.2.3.4.5) or
// carries a version suffix (1.2.3.4-beta, 1.2.3.4+build). `v1.2.3.4` never reaches here: the
// pattern's \b does not match between `v` and `1`.
bool AcceptIpv4(std::string_view text, size_t* begin, size_t* end) {
  size_t b = *begin, e = *end;
  if (b >= 2 && text[b - 1] == '.' && IsDigit(text[b - 2])) return false;
  if (e < text.size()) {
    char next = text[e];
    bool more = e + 1 < text.size();
    if (next == '.' && more && IsDigit(text[e + 1])) return false;
    if (next == '+') return false;
    if (next == '-' && more && std::isalpha(static_cast<unsigned char>(text[e + 1]))) {
      return false;
    }
  }
  return true;
}

bool ValidIpv6(std::string_view candidate) {
  std::string addr(candidate.substr(0, candidate.find('%')));  // zone id: fe80::1%eth0
  unsigned char buf[16];
  bool has_digit = addr.find_first_of("0123456789") != std::string::npos;
  return has_digit && ::inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

// IPv6 candidates are runs of hex digits and colons; libc's inet_pton decides what is an
// address. A single stray colon at either end (`addr:2001:db8::1`, `2001:db8::1: refused`)
// is not part of it. Candidates without a decimal digit are ignored: C++ scopes such as
// `Add::Feed` spell valid addresses, real ones nearly always contain a digit.
bool AcceptIpv6(std::string_view text, size_t* begin, size_t* end) {
  size_t b = *begin, e = *end;
  if (e - b > 2 && text[b] == ':' && text[b + 1] != ':') ++b;
  if (!ValidIpv6(text.substr(b, e - b)) && e - b > 2 && text[e - 1] == ':' && text[e - 2] != ':') {
    --e;
  }
  if (!ValidIpv6(text.substr(b, e - b))) return false;
  if (b > 0 && b == *begin && (IsWord(text[b - 1]) || text[b - 1] == '.')) return false;
  if (e < text.size() && IsWord(text[e])) return false;
  *begin = b;
  *end = e;
  return true;
}

std::vector<ScrubRule> BuildRules() {
  return {
      {"private_key",
       "-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?-----END[A-Z0-9 ]*PRIVATE "
       "KEY(?: BLOCK)?-----|.*)",
       "PEM/OpenSSH/PGP private-key blocks; a block cut off before its END line is redacted "
       "to the end of the string",
       "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Bl...\\n-----END OPENSSH PRIVATE KEY-----",
       nullptr},
      {"url_credentials", "\\b[A-Za-z][A-Za-z0-9+.-]*://(?P<secret>[^\\s/?#]+)@",
       "the user-info part of any URL (user:password@, token@); scheme and host stay",
       "postgres://app:hunter2@db.internal/prod", nullptr},
      {"authorization",
       "(?i)\\b(?:proxy-)?authorization[\"']?\\s*[:=]\\s*[\"']?(?P<secret>[^\\r\\n\"']+)",
       "the value of an Authorization or Proxy-Authorization header, whatever the scheme",
       "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", nullptr},
      {"authorization", "(?i)\\bbearer\\s+(?P<secret>[A-Za-z0-9._~+/=-]{16,})",
       "a bearer token (16+ token characters after `Bearer`)", "Bearer 8f14e45fceea167a5a36",
       nullptr},
      {"jwt", "\\beyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]*",
       "JSON Web Tokens (base64url header starting `eyJ`, payload, signature)",
       "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP", nullptr},
      {"aws_key",
       "\\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\\b",
       "AWS access key ids", "AKIAIOSFODNN7EXAMPLE", nullptr},
      {"github_token", "\\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})",
       "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
       "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", nullptr},
      {"gitlab_token", "\\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}",
       "GitLab tokens (glpat-, gldt-, glrt-, ...)", "glpat-xYz0123456789abcdEFGH", nullptr},
      {"slack_token", "\\b(?:xox[abeoprs]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})",
       "Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-)", "xoxb-123456789012-abcdefABCDEF",
       nullptr},
      {"slack_webhook",
       "https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+",
       "Slack incoming-webhook URLs (the URL is the secret)",
       "https://hooks.slack.com/services/T000/B000/XXXXXXXX", nullptr},
      {"google_api_key", "\\bAIza[0-9A-Za-z_-]{35}", "Google API keys",
       "AIzaSyA1234567890abcdefghijklmnopqrstuv", nullptr},
      {"stripe_key", "\\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}", "Stripe secret keys",
       "sk_live_4eC39HqLyjWDarjtT1zdp7dc", nullptr},
      {"npm_token", "\\bnpm_[A-Za-z0-9]{36}\\b", "npm access tokens",
       "npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", nullptr},
      {"pypi_token", "\\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{40,}", "PyPI API tokens",
       "pypi-AgEIcHlwaS5vcmcCJDU3...", nullptr},
      {"assignment",
       "(?i)(?:[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|apikey|credentials?)"
       "|(?:^|[^A-Za-z0-9])(?:[A-Za-z0-9_.-]*[_.-])?(?:pass|pwd|key|auth|sig|signature|cookie|"
       "session[_-]?id))[\"']?\\s*[:=]\\s*(?P<secret>\"[^\"]+\"|'[^']+'|[^\\s\"',;&]+)",
       "the value of NAME=VALUE or NAME: VALUE where NAME ends in password, passwd, passphrase, "
       "secret, token, apikey, credential(s), or is/ends in _pass, _pwd, _key, _auth, _sig, "
       "_signature, _cookie, _session_id (case-insensitive; env vars, query strings, YAML, JSON)",
       "DB_PASSWORD=hunter2, ?access_token=abc, \"api_key\": \"k\"", nullptr},
      {"assignment",
       "(?i)(?:^|\\s)--?(?:[A-Za-z0-9]+-)*(?:password|passwd|passphrase|pass|secret|token|"
       "api-?key|key|credentials?|auth)\\s+(?P<secret>[^\\s-]\\S*)",
       "the value after a command-line flag named like a secret (--password VALUE)",
       "--db-password hunter2", nullptr},
      {"card", "\\b[2-6][0-9]{3}(?:[ -]?[0-9]){9,15}\\b",
       "payment-card numbers: 13-19 digits (spaces or dashes allowed) starting 2-6 that pass "
       "the Luhn check",
       "4111 1111 1111 1111", AcceptCard},
      {"email", "[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\\.)+[A-Za-z]{2,}",
       "e-mail addresses (also user@host forms such as git@github.com)", "jane.doe+ci@example.org",
       nullptr},
      {"ip",
       "(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:[0-9]{1,3}\\.){3}[0-9]{1,3}|[0-9A-Fa-f]{0,4})"
       "(?:%[0-9A-Za-z_.~-]+)?",
       "IPv6 addresses in every spelling inet_pton accepts: full, compressed (::), embedded "
       "IPv4 (::ffff:10.1.2.3), with a zone id (fe80::1%eth0), inside [brackets] of a URL",
       "[2001:db8::8a2e:370:7334]:443", AcceptIpv6},
      {"ip",
       "\\b(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\\.){3}"
       "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\\b",
       "IPv4 dotted quads (octets 0-255, leading zeros allowed); not 1.2.3, not part of "
       "1.2.3.4.5, not v1.2.3.4, 1.2.3.4-beta or 1.2.3.4+build (version strings)",
       "10.0.0.1, 192.168.001.010/24", AcceptIpv4},
      {"mac",
       "\\b[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\\b|\\b[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}\\b",
       "MAC addresses (colon or dash separated)", "00:1a:2b:3c:4d:5e", nullptr},
      {"home_path",
       "(?:^|[\\s=:\"'(\\[{,;/]|/var|/mnt/[a-z])(?:/home|/Users|/export/home)/"
       "(?P<secret>[^/\\s\"'\\\\:;,]+)",
       "the user name in /home/NAME, /Users/NAME (also /var/home, /mnt/c/Users); the rest of "
       "the path stays",
       "/home/alice/src/app -> /home/[redacted:home_path]/src/app", nullptr},
      {"home_path",
       "(?i)(?:^|[^A-Za-z0-9])[A-Z]:[\\\\/]+(?:Users|Documents and Settings)[\\\\/]+"
       "(?P<secret>[^\\\\/\\r\\n\"':;,]+)",
       "the user name in C:\\Users\\NAME (names may contain spaces)",
       "C:\\Users\\Jane Doe\\AppData", nullptr},
      {"home_path", "(?:^|[\\s=:\"'(])~(?P<secret>[A-Za-z_][A-Za-z0-9_.-]*)(?:/|$)",
       "~NAME/ (another user's home)", "~alice/.ssh", nullptr},
  };
}

}  // namespace

const std::vector<ScrubRule>& ScrubRules() {
  static const std::vector<ScrubRule> rules = BuildRules();
  return rules;
}

}  // namespace glassbox::recorder::detail
