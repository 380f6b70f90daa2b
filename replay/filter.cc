#include "base/ids.h"
#include "replay/event_header.h"
#include "replay/payload.h"

namespace glassbox::replay {
namespace {

bool NameMatches(const std::string& want, const std::string& uri) {
  if (want == uri) return true;
  // A bare name matches iglu:vendor/NAME/format/version.
  size_t a = uri.find('/');
  size_t b = a == std::string::npos ? a : uri.find('/', a + 1);
  return b != std::string::npos && uri.compare(a + 1, b - a - 1, want) == 0;
}

template <typename T>
bool Contains(const std::vector<T>& set, const std::function<bool(const T&)>& match) {
  if (set.empty()) return true;
  for (const auto& s : set) {
    if (match(s)) return true;
  }
  return false;
}

}  // namespace

Result<EventFilter> EventFilter::Parse(const std::string& text) {
  EventFilter f;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? text.size() : comma + 1;
    size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("filter: expected KEY=VALUE, got \"" + part + "\"");
    }
    std::string key = part.substr(0, eq), value = part.substr(eq + 1);
    base::Clock::time_point t;
    if (key == "schema") {
      f.schemas.push_back(value);
    } else if (key == "phase" &&
               (value == "single" || value == "started" || value == "completed")) {
      f.phases.push_back(value);
    } else if (key == "state" && journal::ParseState(value)) {
      f.state = journal::ParseState(value);
    } else if ((key == "since" || key == "until") && base::ParseRfc3339(value, &t)) {
      (key == "since" ? f.since : f.until) = base::Rfc3339(t);
    } else {
      return Status::InvalidArgument("filter: bad " + key + " \"" + value +
                                     "\" (keys: schema, phase, state, since, until)");
    }
  }
  return f;
}

bool EventFilter::Matches(std::string_view line, journal::EventState s) const {
  if (state ? *state != s : all_states && s == journal::EventState::kLocal) return false;
  if (schemas.empty() && phases.empty() && since.empty() && until.empty()) return true;
  EventHeader h;
  if (!ReadEventHeader(line, &h)) return false;
  const std::string &uri = h.schema, &phase = h.phase, &at = h.recorded_at;
  if (!Contains<std::string>(schemas, [&](const std::string& w) { return NameMatches(w, uri); })) {
    return false;
  }
  if (!Contains<std::string>(phases, [&](const std::string& p) { return p == phase; })) {
    return false;
  }
  return (since.empty() || at >= since) && (until.empty() || at < until);
}

}  // namespace glassbox::replay
