// Scale: does capture stay flat as the journal grows, and do the commands stream? Populates a
// journal with N events (batched appends of generator output), then measures durable record()
// on top of it against the same on a small journal, and the peak RSS and rate of the real
// `glassbox inspect events` and `inspect` over the big journal.
//
//   bench/scale_bench GLASSBOX_BIN [--events N] [--probe M]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include "bench/generator.h"
#include "bench/stats.h"
#include "glassbox/recorder.h"
#include "journal/journal.h"

namespace gb = glassbox;
using Clock = std::chrono::steady_clock;

namespace {

// Appends `n` events in transactions of 1,000, reusing stored lines of a small sample.
void Populate(const std::string& path, int64_t n) {
  std::vector<std::string> sample;
  {
    auto rec = gb::Recorder::Open({.journal_path = path + ".sample"});
    gb::bench::EventGenerator gen(7);
    for (int i = 0; i < 2000; ++i) (void)rec.value()->Record("cli_event", gen.NextInput());
  }
  auto src = gb::journal::Journal::Open({.path = path + ".sample"});
  (void)src.value()->Scan({}, [&](const gb::journal::StoredEvent& e) {
    sample.emplace_back(e.line);
    return true;
  });
  auto j = gb::journal::Journal::Open({.path = path});
  std::vector<gb::journal::NewEvent> batch;
  for (int64_t i = 0; i < n; ++i) {
    batch.push_back({sample[i % sample.size()], gb::journal::EventState::kPending, 0, {}});
    if (batch.size() == 1000 || i + 1 == n) {
      (void)j.value()->Append(batch);
      batch.clear();
    }
  }
}

struct Probe {
  double events_per_s, p50_us, p99_us;
};

Probe Capture(const std::string& path, int probe) {
  auto rec = gb::Recorder::Open({.journal_path = path});
  gb::bench::EventGenerator gen(99);
  std::vector<double> lat;
  auto t0 = Clock::now();
  for (int i = 0; i < probe; ++i) {
    std::string in = gen.NextInput();
    auto t = Clock::now();
    (void)rec.value()->Record("cli_event", in);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
  }
  return {probe / gb::bench::SecondsSince(t0), gb::bench::Percentile(lat, .5),
          gb::bench::Percentile(lat, .99)};
}

// Runs the real binary with stdout to /dev/null; returns {seconds, peak RSS KiB}. The RSS
// comes from /usr/bin/time: a child forked from this (large) process would report our RSS,
// since the kernel carries the high-water mark across exec.
std::pair<double, long> RunChild(std::vector<std::string> args, const std::string& dir) {
  std::string rss_file = dir + "/rss.txt";
  args.insert(args.begin(), {"/usr/bin/time", "-f", "%M", "-o", rss_file});
  std::fflush(stdout);  // or the child would print our buffered lines again
  auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s %s failed (status %d)\n", args[5].c_str(), args[8].c_str(), status);
  }
  long rss = 0;
  if (FILE* f = std::fopen(rss_file.c_str(), "r")) {
    if (std::fscanf(f, "%ld", &rss) != 1) rss = 0;
    std::fclose(f);
  }
  return {gb::bench::SecondsSince(t0), rss};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: scale_bench GLASSBOX_BIN [--events N] [--probe M]\n";
    return 64;
  }
  std::string bin = argv[1];
  int64_t events = 1000000;
  int probe = 2000;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events")) events = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--probe")) probe = std::atoi(argv[i + 1]);
  }
  std::string dir = gb::bench::TempDir("scale");
  std::string small = dir + "/small.db", big = dir + "/big.db";
  Populate(small, 10000);
  auto t0 = Clock::now();
  Populate(big, events);
  double populate_s = gb::bench::SecondsSince(t0);
  Probe s = Capture(small, probe), b = Capture(big, probe);
  std::printf("populated %lld events in %.1f s (%.0f events/s, batched appends incl. sealing)\n",
              static_cast<long long>(events), populate_s, events / populate_s);
  std::printf("%-28s %12s %9s %9s\n", "durable record() on", "events/s", "p50 us", "p99 us");
  std::printf("%-28s %12.0f %9.1f %9.1f\n", "10,000-event journal", s.events_per_s, s.p50_us,
              s.p99_us);
  std::printf("%-28s %12.0f %9.1f %9.1f\n", (std::to_string(events) + "-event journal").c_str(),
              b.events_per_s, b.p50_us, b.p99_us);
  std::printf("throughput ratio big/small: %.2f (goal: within 20%%)\n",
              b.events_per_s / s.events_per_s);
  for (auto view :
       {std::vector<std::string>{bin, "--journal", big, "inspect", "events", "--format", "ndjson"},
        std::vector<std::string>{bin, "--journal", big, "inspect", "--format", "json"},
        std::vector<std::string>{bin, "--journal", big, "inspect", "payload", "--format", "json"},
        std::vector<std::string>{bin, "--journal", big, "inspect", "privacy", "--format", "json"},
        std::vector<std::string>{bin, "--journal", big, "inspect", "report", "--html",
                                 dir + "/r.html"},
        std::vector<std::string>{bin, "--journal", big, "doctor", "--no-repair"}}) {
    auto [secs, rss] = RunChild(view, dir);
    std::printf("%-36s %8.2f s %10.0f events/s  peak RSS %6ld KiB\n",
                (view[3] + (view.size() > 4 && view[4][0] != '-' ? " " + view[4] : "")).c_str(),
                secs, (events + probe) / secs, rss);
  }
  std::filesystem::remove_all(dir);
}
