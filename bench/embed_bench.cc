// Overhead of recording through the embedding APIs: microseconds per event through the C++ API
// and the C API of libglassbox.so, same event, same journal settings (a fresh journal per run).
// Usage: embed_bench [EVENTS_PER_RUN [RUNS]]. Prints one line per API with the median wall and
// CPU time of the runs, and machine-readable `median_us NAME WALL CPU` lines. CPU time is the
// steadier figure on a busy machine; wall time includes waiting for the disk.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "glassbox/glassbox.h"
#include "glassbox/recorder.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A realistic cli_event: clear names, hashed arguments and configuration, a dropped setting.
constexpr const char* kEvent =
    R"({"command":"run","args":["tap-github","target-postgres","--full-refresh"],)"
    R"("plugins":[{"name":"tap-github","variant":"meltano","config":{"repository":"acme/app"}}],)"
    R"("settings":{"TOKEN":"not-stored"}})";

fs::path FreshJournal(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("glassbox-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir / name);
  return dir / name / "journal.db";
}

using Setup = std::function<std::function<bool()>(const fs::path&)>;

struct PerEvent {
  double wall_us, cpu_us;
};

// Runs `record` `events` times on a freshly opened journal; returns microseconds per event.
PerEvent OneRun(const Setup& setup, const std::string& name, int events) {
  auto record = setup(FreshJournal(name));
  auto start = Clock::now();
  std::clock_t cpu_start = std::clock();
  for (int i = 0; i < events; ++i) {
    if (!record()) {
      std::fprintf(stderr, "%s: record failed\n", name.c_str());
      std::exit(1);
    }
  }
  double cpu_us = 1e6 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::chrono::duration<double, std::micro> took = Clock::now() - start;
  return {took.count() / events, cpu_us / events};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void Report(const std::string& name, const Setup& setup, int events, int runs) {
  std::vector<double> wall, cpu;
  for (int r = 0; r < runs; ++r) {
    PerEvent e = OneRun(setup, name, events);
    wall.push_back(e.wall_us);
    cpu.push_back(e.cpu_us);
  }
  std::printf("%-6s %8.1f us/event wall, %8.1f us/event CPU (wall min %.1f, max %.1f)\n",
              name.c_str(), Median(wall), Median(cpu), *std::min_element(wall.begin(), wall.end()),
              *std::max_element(wall.begin(), wall.end()));
  std::printf("median_us %s %.2f %.2f\n", name.c_str(), Median(wall), Median(cpu));
}

// Both setups keep their recorder alive in a shared_ptr owned by the returned closure.
std::function<bool()> CxxRecorder(const fs::path& journal) {
  glassbox::RecorderOptions o;
  o.journal_path = journal.string();
  auto opened = glassbox::Recorder::Open(o);
  if (!opened.ok()) std::exit(1);
  std::shared_ptr<glassbox::Recorder> rec = std::move(opened.value());
  return [rec] { return rec->Record("cli_event", kEvent).ok(); };
}

std::function<bool()> CRecorder(const fs::path& journal) {
  glassbox_options* o = glassbox_options_new();
  glassbox_options_set_journal(o, journal.c_str());
  glassbox_recorder* raw = nullptr;
  if (glassbox_recorder_open(o, &raw) != GLASSBOX_OK) std::exit(1);
  glassbox_options_free(o);
  std::shared_ptr<glassbox_recorder> rec(raw, glassbox_recorder_close);
  return [rec] {
    char id[GLASSBOX_ID_SIZE];
    return glassbox_record(rec.get(), "cli_event", kEvent, id) == GLASSBOX_OK;
  };
}

}  // namespace

int main(int argc, char** argv) {
  int events = argc > 1 ? std::atoi(argv[1]) : 2000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  if (events <= 0 || runs <= 0) return 64;
  ::unsetenv("DO_NOT_TRACK");
  ::unsetenv("GLASSBOX_CONSENT");
  std::printf("glassbox %s: %d events per run, median of %d runs\n", glassbox_version(), events,
              runs);
  Report("cxx", CxxRecorder, events, runs);
  Report("c", CRecorder, events, runs);
  fs::remove_all(fs::temp_directory_path() / ("glassbox-bench-" + std::to_string(::getpid())));
  return 0;
}
