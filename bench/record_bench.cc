// Capture and journal-size benchmark: glassbox against plain SQLite rows of the same bytes,
// run side by side in one process. Prints a table and, with --json FILE, the figures as JSON.
//
//   bench/record_bench [--events N] [--runs R] [--json FILE] [--ndjson FILE] [--profile WORD]
//
// --profile runs only the capture workloads whose name contains WORD, and no size figures:
// for `perf record`.
// --ndjson writes the journal's own NDJSON export (the stream the size baseline compresses),
// for trying compressors on it outside the bench.
#include <sqlite3.h>
#include <zstd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/generator.h"
#include "bench/stats.h"
#include "glassbox/recorder.h"
#include "journal/journal.h"

namespace gb = glassbox;
using glassbox::bench::Percentile;
using glassbox::bench::SecondsSince;
using Clock = std::chrono::steady_clock;

namespace {

struct RunFigures {
  double events_per_s = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0;
};

// The anonymized NDJSON lines glassbox stores for `inputs` (the baselines insert these bytes).
std::vector<std::string> StoredLines(const std::string& dir,
                                     const std::vector<std::string>& inputs) {
  auto rec = gb::Recorder::Open({.journal_path = dir + "/lines.db"});
  for (const auto& in : inputs) (void)rec.value()->Record("cli_event", in);
  auto j = gb::journal::Journal::Open({.path = dir + "/lines.db"});
  std::vector<std::string> lines;
  (void)j.value()->Scan({}, [&](const gb::journal::StoredEvent& e) {
    lines.emplace_back(e.line);
    return true;
  });
  return lines;
}

RunFigures SqliteBaseline(const std::string& path, const std::vector<std::string>& lines,
                          int per_txn) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
               "CREATE TABLE events(id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO events(body) VALUES (?)", -1, &ins, nullptr);
  std::vector<double> lat;
  lat.reserve(lines.size());
  auto t0 = Clock::now();
  for (size_t i = 0; i < lines.size(); ++i) {
    auto t = Clock::now();
    if (i % per_txn == 0) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_bind_text(ins, 1, lines[i].data(), static_cast<int>(lines[i].size()), SQLITE_STATIC);
    sqlite3_step(ins);
    sqlite3_reset(ins);
    if ((i + 1) % per_txn == 0 || i + 1 == lines.size()) {
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
  }
  double secs = SecondsSince(t0);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return {static_cast<double>(lines.size()) / secs, Percentile(lat, .5), Percentile(lat, .99),
          Percentile(lat, .999)};
}

// Timed until Flush() returns, or (`until_closed`) until the Recorder is closed: buffered mode
// seals at close what its writer held, work the flushed figure does not include.
RunFigures GlassboxCapture(const std::string& path, const std::vector<std::string>& inputs,
                           bool buffered, bool until_closed = false) {
  gb::RecorderOptions o;
  o.journal_path = path;
  o.buffered = buffered;
  auto rec = gb::Recorder::Open(o);
  if (!rec.ok()) {
    std::cerr << rec.status().message() << "\n";
    std::exit(1);
  }
  std::vector<double> lat;
  lat.reserve(inputs.size());
  auto t0 = Clock::now();
  for (const auto& in : inputs) {
    auto t = Clock::now();
    auto id = rec.value()->Record("cli_event", in);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    if (!id.ok()) {
      std::cerr << id.status().message() << "\n";
      std::exit(1);
    }
  }
  (void)rec.value()->Flush();
  if (until_closed) rec.value().reset();
  double secs = SecondsSince(t0);
  return {static_cast<double>(inputs.size()) / secs, Percentile(lat, .5), Percentile(lat, .99),
          Percentile(lat, .999)};
}

size_t ZstdSize(const std::string& data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  return ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
}

struct SizeFigures {
  double journal = 0, zstd19 = 0, zstd3 = 0, plain_rows = 0, ndjson = 0;
  std::string breakdown;  // where the journal's bytes go, per event
};

// Bytes per event in level-1 and level-0 block bodies, tail rows and free pages: shows which
// part of the layout a size change comes from.
std::string Breakdown(sqlite3* db, double n) {
  std::string out;
  auto query = [&](const char* label, const char* sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
    sqlite3_finalize(st);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s %.1f", out.empty() ? "" : " | ", label, v / n);
    out += buf;
  };
  query("level-2 bodies", "SELECT coalesce(sum(length(body)), 0) FROM blocks WHERE level = 2");
  query("level-1 bodies", "SELECT coalesce(sum(length(body)), 0) FROM blocks WHERE level = 1");
  query("level-0 bodies", "SELECT coalesce(sum(length(body)), 0) FROM blocks WHERE level = 0");
  query("tail rows", "SELECT coalesce(sum(length(line)), 0) FROM tail");
  query("free pages",
        "SELECT (SELECT freelist_count FROM pragma_freelist_count) * "
        "(SELECT page_size FROM pragma_page_size)");
  return out;
}

// Bytes per event at rest: the glassbox journal (after a checkpoint) against zstd over its
// own NDJSON export, and against plain JSON rows.
SizeFigures Sizes(const std::string& dir, const std::vector<std::string>& inputs,
                  const std::string& ndjson_out) {
  std::string path = dir + "/size.db";
  {
    auto rec = gb::Recorder::Open({.journal_path = path});
    for (const auto& in : inputs) (void)rec.value()->Record("cli_event", in);
  }
  auto j = gb::journal::Journal::Open({.path = path});
  std::string ndjson;
  (void)j.value()->Scan({}, [&](const gb::journal::StoredEvent& e) {
    ndjson.append(e.line).push_back('\n');
    return true;
  });
  if (!ndjson_out.empty()) std::ofstream(ndjson_out, std::ios::binary) << ndjson;
  sqlite3_wal_checkpoint_v2(j.value()->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  double n = static_cast<double>(inputs.size());
  SizeFigures s;
  s.journal = static_cast<double>(j.value()->FileBytes()) / n;
  s.breakdown = Breakdown(j.value()->db(), n);
  s.zstd19 = static_cast<double>(ZstdSize(ndjson, 19)) / n;
  s.zstd3 = static_cast<double>(ZstdSize(ndjson, 3)) / n;
  s.ndjson = static_cast<double>(ndjson.size()) / n;
  std::vector<std::string> lines;
  for (size_t a = 0, b; (b = ndjson.find('\n', a)) != std::string::npos; a = b + 1) {
    lines.push_back(ndjson.substr(a, b - a));
  }
  SqliteBaseline(dir + "/plain.db", lines, 1000);
  sqlite3* db = nullptr;
  sqlite3_open((dir + "/plain.db").c_str(), &db);
  sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_close(db);
  s.plain_rows = static_cast<double>(std::filesystem::file_size(dir + "/plain.db")) / n;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int events = 20000, runs = 5;
  std::string json_out, ndjson_out, profile;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events")) events = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--json")) json_out = argv[i + 1];
    if (!std::strcmp(argv[i], "--ndjson")) ndjson_out = argv[i + 1];
    if (!std::strcmp(argv[i], "--profile")) profile = argv[i + 1];
  }
  glassbox::bench::EventGenerator gen(42);
  std::vector<std::string> inputs;
  for (int i = 0; i < events; ++i) inputs.push_back(gen.NextInput());
  std::string dir = glassbox::bench::TempDir("record");
  auto lines = StoredLines(dir, inputs);

  using Workload = std::function<RunFigures(const std::string&)>;
  std::vector<std::pair<std::string, Workload>> workloads = {
      {"sqlite rows, 1 txn/event (baseline)", [&](auto& p) { return SqliteBaseline(p, lines, 1); }},
      {"glassbox record, durable", [&](auto& p) { return GlassboxCapture(p, inputs, false); }},
      {"sqlite rows, 1000/txn (baseline)", [&](auto& p) { return SqliteBaseline(p, lines, 1000); }},
      {"glassbox record, buffered", [&](auto& p) { return GlassboxCapture(p, inputs, true); }},
      {"buffered, until closed", [&](auto& p) { return GlassboxCapture(p, inputs, true, true); }},
  };
  if (!profile.empty()) {
    for (auto& [name, run] : workloads) {
      if (name.find(profile) == std::string::npos) continue;
      for (int r = 0; r < runs; ++r) {
        std::string path = dir + "/profile" + std::to_string(r) + ".db";
        std::printf("%-38s %12.0f events/s\n", name.c_str(), run(path).events_per_s);
        gb::journal::RemoveJournalFiles(path);
      }
    }
    std::filesystem::remove_all(dir);
    return 0;
  }
  std::map<std::string, std::vector<RunFigures>> figures;
  for (int r = 0; r < runs; ++r) {
    for (auto& [name, run] : workloads) {  // interleaved, so machine noise hits all alike
      std::string path =
          dir + "/run" + std::to_string(r) + "-" + std::to_string(figures[name].size()) + ".db";
      figures[name].push_back(run(path));
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
  }
  nlohmann::ordered_json out;
  out["events"] = events;
  out["runs"] = runs;
  std::printf("%-38s %12s %14s %9s %9s %9s\n", "workload (median of runs)", "events/s",
              "(min..max)", "p50 us", "p99 us", "p999 us");
  for (auto& [name, run] : workloads) {
    std::vector<double> rate, p50, p99, p999;
    for (auto& f : figures[name]) {
      rate.push_back(f.events_per_s);
      p50.push_back(f.p50_us);
      p99.push_back(f.p99_us);
      p999.push_back(f.p999_us);
    }
    auto s = glassbox::bench::SpreadOf(rate);
    std::printf("%-38s %12.0f %6.0f..%-7.0f %9.1f %9.1f %9.1f\n", name.c_str(), s.median, s.min,
                s.max, Percentile(p50, .5), Percentile(p99, .5), Percentile(p999, .5));
    out["capture"][name] = {{"events_per_s", s.median},
                            {"min", s.min},
                            {"max", s.max},
                            {"p50_us", Percentile(p50, .5)},
                            {"p99_us", Percentile(p99, .5)},
                            {"p999_us", Percentile(p999, .5)}};
  }
  auto rate = [&](const std::string& n) { return out["capture"][n]["events_per_s"].get<double>(); };
  double durable_ratio =
      rate("glassbox record, durable") / rate("sqlite rows, 1 txn/event (baseline)");
  double buffered_ratio =
      rate("glassbox record, buffered") / rate("sqlite rows, 1000/txn (baseline)");
  std::printf("ratio durable / 1-txn baseline:     %.2fx (goal >= 0.8)\n", durable_ratio);
  std::printf("ratio buffered / 1000-txn baseline: %.2fx (goal >= 0.8)\n", buffered_ratio);
  SizeFigures s = Sizes(dir, inputs, ndjson_out);
  std::printf(
      "\nbytes per event at rest: glassbox journal %.1f | plain JSON rows %.1f | raw NDJSON "
      "%.1f | zstd -3 %.1f | zstd -19 %.1f\n",
      s.journal, s.plain_rows, s.ndjson, s.zstd3, s.zstd19);
  std::printf("ratio journal / zstd -19: %.2fx (goal <= 1.5)\n", s.journal / s.zstd19);
  std::printf("journal bytes per event by part: %s\n", s.breakdown.c_str());
  std::printf("peak RSS %ld KiB\n", glassbox::bench::PeakRssKiB());
  out["ratios"] = {{"durable_vs_1txn", durable_ratio},
                   {"buffered_vs_1000txn", buffered_ratio},
                   {"journal_vs_zstd19", s.journal / s.zstd19}};
  out["bytes_per_event"] = {{"journal", s.journal},
                            {"plain_rows", s.plain_rows},
                            {"ndjson", s.ndjson},
                            {"zstd3", s.zstd3},
                            {"zstd19", s.zstd19}};
  out["peak_rss_kib"] = glassbox::bench::PeakRssKiB();
  if (!json_out.empty()) std::ofstream(json_out) << out.dump(2) << "\n";
  std::filesystem::remove_all(dir);
}
