#pragma once
// Options shared by every inspect view: --format, --limit, --since, --filter.
#include "cli/cli.h"
#include "inspect/views.h"
#include "replay/payload.h"

namespace glassbox::cli {

struct ViewOptions {
  std::string format = "table";
  int64_t limit = 0;
  std::string since;
  std::string filter;
};

// Adds --format (with `formats` allowed), --limit, --since and --filter to `cmd`.
void AddViewOptions(CLI::App* cmd, ViewOptions& o, const std::vector<std::string>& formats);
// The shared filter from --filter and --since (usage error on bad syntax).
replay::EventFilter FilterOf(const ViewOptions& o);
inspect::Page PageOf(const ViewOptions& o);
// Prints `json` (pretty) or `text` depending on --format.
void Emit(const ViewOptions& o, const inspect::Json& json, const std::string& text);
// Batch limits and compression the next replay would use (from the config when present).
inspect::PayloadOptions PayloadOptionsFor(const GlobalOptions& g);

void RegisterInspectViews(CLI::App* inspect, const GlobalOptions& g);

}  // namespace glassbox::cli
