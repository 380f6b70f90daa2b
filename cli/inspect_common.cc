#include "cli/inspect_common.h"

#include <iostream>

#include "base/ids.h"

namespace glassbox::cli {

void AddViewOptions(CLI::App* cmd, ViewOptions& o, const std::vector<std::string>& formats) {
  cmd->add_option("--format", o.format, "Output: " + CLI::detail::join(formats, ", "))
      ->check(CLI::IsMember(formats));
  cmd->add_option("--limit", o.limit, "Show at most N entries");
  cmd->add_option("--since", o.since, "Only entries at or after this time (RFC 3339 or date)");
  cmd->add_option("--filter", o.filter,
                  "schema=NAME,phase=P,state=S,since=T,until=T (keys may repeat)");
}

replay::EventFilter FilterOf(const ViewOptions& o) {
  auto f = replay::EventFilter::Parse(o.filter);
  if (!f.ok()) Fail(f.status());
  if (!o.since.empty()) {
    base::Clock::time_point t;
    if (!base::ParseRfc3339(o.since, &t))
      throw Failure(kExitUsage, "--since: not an RFC 3339 time");
    f->since = base::Rfc3339(t);
  }
  return f.value();
}

inspect::Page PageOf(const ViewOptions& o) {
  inspect::Page page;
  page.limit = o.limit;
  if (!o.since.empty()) page.since = FilterOf(o).since;
  return page;
}

void Emit(const ViewOptions& o, const inspect::Json& json, const std::string& text) {
  if (o.format == "json") {
    std::cout << json.dump(2) << "\n";
  } else {
    std::cout << text;
  }
}

inspect::PayloadOptions PayloadOptionsFor(const GlobalOptions& g) {
  inspect::PayloadOptions p;
  // Batches and encoding as replay would send them with the same config.
  replay::Config config = LoadReplayConfig(g, replay::EndpointCheck::kSkip);
  p.compression = config.upload.compression;
  p.limits.max_events = config.upload.max_batch_events;
  p.limits.max_bytes = config.upload.max_batch_bytes;
  return p;
}

}  // namespace glassbox::cli
