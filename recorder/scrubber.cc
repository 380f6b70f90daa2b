#include "recorder/scrubber.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <exception>
#include <latch>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "recorder/scrub_rules.h"

namespace glassbox::recorder {
namespace {

constexpr std::string_view kMarkerPrefix = "[redacted:";

// One rule, its regex compiled on first use: most strings match no rule, and a process that
// records one event (`glassbox record`) should not compile two dozen patterns it never runs.
class CompiledRule {
 public:
  explicit CompiledRule(const detail::ScrubRule* rule)
      : rule_(rule), marker_(std::string(kMarkerPrefix) + rule->kind + "]") {}

  const detail::ScrubRule& rule() const { return *rule_; }
  const std::string& marker() const { return marker_; }
  int secret_group() const { return secret_group_; }
  const RE2& re(const RE2::Options& options) const {
    std::call_once(compiled_, [&] {
      re_ = std::make_unique<RE2>(rule_->pattern, options);
      auto named = re_->NamedCapturingGroups().find("secret");
      if (named != re_->NamedCapturingGroups().end()) secret_group_ = named->second;
    });
    return *re_;
  }

 private:
  const detail::ScrubRule* rule_;
  std::string marker_;
  mutable std::once_flag compiled_;
  mutable std::unique_ptr<RE2> re_;
  mutable int secret_group_ = 0;  // 0: replace the whole match
};

// The rule table compiled once per scrubber. A RE2::Set over all patterns tells in one pass
// which rules can match, so a string without secrets (the common case) costs one scan and
// compiles nothing more.
//
// Compiling the Set takes ~3 ms, a third of a `glassbox record` process. So it runs on a
// thread of its own, started first, while the recorder loads its schemas and opens its
// journal; the first string scrubbed waits for it.
class RuleSet {
 public:
  RuleSet() : set_(Options(), RE2::UNANCHORED) {
    try {
      compiler_ = std::thread([this] { Compile(); });
    } catch (const std::system_error&) {
      Compile();  // no thread to be had: compile here
    }
  }
  ~RuleSet() {
    if (compiler_.joinable()) compiler_.join();
  }
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  void Scrub(std::string& text, std::map<std::string, int>& counts) const {
    if (text.empty()) return;
    compiled_.wait();  // its count_down() happens before: set_ and rules_ are complete
    // A compile that failed (out of memory) fails every call, as the constructor did when it
    // compiled: the caller refuses the event rather than store a string half scrubbed.
    if (failure_) std::rethrow_exception(failure_);
    std::vector<int> hits;
    RE2::Set::ErrorInfo error{};
    if (set_ok_ && !set_.Match(text, &hits, &error) && error.kind == RE2::Set::kNoError) return;
    if (!set_ok_ || error.kind != RE2::Set::kNoError) {
      hits.clear();  // the Set could not decide (e.g. out of memory): try every rule
      for (size_t i = 0; i < rules_.size(); ++i) hits.push_back(static_cast<int>(i));
    }
    std::sort(hits.begin(), hits.end());  // table order: earlier rules win
    for (int i : hits) Apply(*rules_[static_cast<size_t>(i)], text, counts);
  }

 private:
  static RE2::Options Options() {
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(64 << 20);
    return o;
  }

  // Replaces every accepted match of one rule. Scanning resumes after each candidate, so the
  // whole pass stays linear in the length of the string.
  static void Apply(const CompiledRule& c, std::string& text, std::map<std::string, int>& counts) {
    const RE2& re = c.re(Options());
    if (!re.ok()) return;
    const int ngroups = 1 + re.NumberOfCapturingGroups();
    std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
    std::string out;
    size_t pos = 0, copied = 0;
    while (pos <= text.size() &&
           re.Match(text, pos, text.size(), RE2::UNANCHORED, groups.data(), ngroups)) {
      size_t match_begin = static_cast<size_t>(groups[0].data() - text.data());
      size_t match_end = match_begin + groups[0].size();
      size_t begin = match_begin, end = match_end;
      if (int g = c.secret_group(); g && groups[g].data()) {
        begin = static_cast<size_t>(groups[g].data() - text.data());
        end = begin + groups[g].size();
      }
      bool accept = end > begin &&
                    std::string_view(text).substr(begin).rfind(kMarkerPrefix, 0) != 0 &&
                    (!c.rule().accept || c.rule().accept(text, &begin, &end));
      if (accept) {
        out.append(text, copied, begin - copied);
        out += c.marker();
        copied = end;
        ++counts[c.rule().kind];
      }
      pos = std::max(accept ? end : match_end, match_begin + 1);
    }
    if (copied == 0) return;
    out.append(text, copied, std::string::npos);
    text.swap(out);
  }

  void Compile() {
    try {
      for (const auto& rule : detail::ScrubRules()) {
        // A broken pattern is refused by the Set (and caught by the unit tests).
        if (set_.Add(rule.pattern, nullptr) < 0) continue;
        rules_.push_back(std::make_unique<CompiledRule>(&rule));
      }
      set_ok_ = set_.Compile();
    } catch (...) {
      failure_ = std::current_exception();  // on its own thread, nothing else would catch it
    }
    compiled_.count_down();
  }

  RE2::Set set_;
  bool set_ok_ = true;
  std::vector<std::unique_ptr<CompiledRule>> rules_;
  std::exception_ptr failure_;
  std::latch compiled_{1};
  std::thread compiler_;  // joined by the destructor
};

}  // namespace

Scrubber DefaultScrubber() {
  auto rules = std::make_shared<const RuleSet>();
  return [rules](std::string& text, std::map<std::string, int>& counts) {
    rules->Scrub(text, counts);
  };
}

void ScrubStrings(const Scrubber& scrub, nlohmann::json& value,
                  std::map<std::string, int>& counts) {
  if (!scrub) return;
  if (value.is_string()) {
    scrub(value.get_ref<std::string&>(), counts);
  } else if (value.is_structured()) {
    for (auto& child : value) ScrubStrings(scrub, child, counts);
  }
}

void CountMarkers(const nlohmann::json& value, std::map<std::string, int>& counts) {
  if (value.is_structured()) {
    for (const auto& child : value) CountMarkers(child, counts);
    return;
  }
  if (!value.is_string()) return;
  const auto& s = value.get_ref<const std::string&>();
  for (size_t at = s.find(kMarkerPrefix); at != std::string::npos;
       at = s.find(kMarkerPrefix, at + 1)) {
    size_t kind_begin = at + kMarkerPrefix.size();
    size_t close = s.find(']', kind_begin);
    if (close == std::string::npos) break;
    std::string kind = s.substr(kind_begin, close - kind_begin);
    bool plain =
        !kind.empty() && kind.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (plain) ++counts[kind];
  }
}

}  // namespace glassbox::recorder
