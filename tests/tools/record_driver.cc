// gb_record_driver: a host application for crash, fault and load tests. It records events
// through the public C++ API in a loop and prints each acknowledged event id the moment
// Record() returns OK, so a test that kills it knows exactly which events were promised.
//
//   gb_record_driver JOURNAL [--count N] [--tag T] [--latency] [--full-durability]
//                            [--span-every K] [--text-bytes B]
//   gb_record_driver JOURNAL --input FILE [--schema NAME]
//
// --input records the bytes of FILE, as they are, as one event's input (hostile-input tests).
//
// stdout: one line per acknowledged event: "ID" or, with --latency, "ID MICROSECONDS".
// stderr: one line per refused/failed call ("error: ..."), then
//         "counters recorded=R refused=F dropped=D skipped=S".
// Exit: 0 all recorded, 1 some call failed, 2 the recorder could not be opened.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "glassbox/recorder.h"

namespace {

struct Args {
  std::string journal;
  long count = 0;  // 0: until killed
  std::string tag = "t";
  bool latency = false;
  bool full_durability = false;
  long span_every = 0;
  long text_bytes = 0;
  std::string input;  // a file whose bytes are one event's input
  std::string schema = "cli_event";
};

bool ParseArgs(int argc, char** argv, Args* a) {
  if (argc < 2) return false;
  a->journal = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string f = argv[i];
    bool has_value = i + 1 < argc;
    if (f == "--count" && has_value)
      a->count = std::atol(argv[++i]);
    else if (f == "--tag" && has_value)
      a->tag = argv[++i];
    else if (f == "--span-every" && has_value)
      a->span_every = std::atol(argv[++i]);
    else if (f == "--text-bytes" && has_value)
      a->text_bytes = std::atol(argv[++i]);
    else if (f == "--input" && has_value)
      a->input = argv[++i];
    else if (f == "--schema" && has_value)
      a->schema = argv[++i];
    else if (f == "--latency")
      a->latency = true;
    else if (f == "--full-durability")
      a->full_durability = true;
    else
      return false;
  }
  return true;
}

// Writes one whole line with write(2): nothing acknowledged sits in a stdio buffer when the
// process is killed.
void Emit(const std::string& line) {
  std::string out = line + "\n";
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) std::_Exit(3);  // the test stopped listening
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string Data(const Args& a, long i) {
  std::string data = R"({"command":"drive","sub_command":")" + a.tag + "-" + std::to_string(i) +
                     R"(","args":["--n",")" + std::to_string(i) + R"("]})";
  if (a.text_bytes > 0) {
    data.pop_back();
    data += R"(,"plugins":[{"name":")" + std::string(static_cast<size_t>(a.text_bytes), 'p') +
            R"("}]})";
  }
  return data;
}

// Records event `i` (every span_every-th one as a started + completed span).
glassbox::Status RecordOne(glassbox::Recorder& r, const Args& a, long i, std::string* id) {
  if (a.span_every > 0 && i % a.span_every == 0) {
    auto span = r.Start("cli_event", Data(a, i));
    if (!span.ok()) return span.status();
    auto done = span->Complete({"success", 0, ""});
    if (!done.ok()) return done.status();
    *id = done.value();
    return glassbox::Status::Ok();
  }
  auto rec = r.Record("cli_event", Data(a, i));
  if (!rec.ok()) return rec.status();
  *id = rec.value();
  return glassbox::Status::Ok();
}

// Records FILE's bytes once; prints the id, or the error and exits 1.
int RecordFile(glassbox::Recorder& r, const Args& a) {
  // Sized up front: growing a string by doubling would leave freed 64 MB blocks behind (in
  // ASan's quarantine too), so the memory figure would measure this driver, not the recorder.
  std::ifstream in(a.input, std::ios::binary | std::ios::ate);
  std::string bytes(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto id = r.Record(a.schema, bytes);
  if (!id.ok()) {
    std::fprintf(stderr, "error: %s\n", id.status().message().c_str());
    return 1;
  }
  Emit(id.value());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, &a)) {
    std::fprintf(stderr,
                 "usage: gb_record_driver JOURNAL [--count N] [--tag T] [--latency] "
                 "[--full-durability] [--span-every K] [--text-bytes B] "
                 "| JOURNAL --input FILE [--schema NAME]\n");
    return 64;
  }
  glassbox::RecorderOptions o;
  o.journal_path = a.journal;
  o.app_name = "gb_record_driver";
  o.full_durability = a.full_durability;
  auto opened = glassbox::Recorder::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "open error: %s\n", opened.status().message().c_str());
    return 2;
  }
  glassbox::Recorder& r = *opened.value();
  if (!a.input.empty()) return RecordFile(r, a);
  bool failed = false;
  for (long i = 0; a.count == 0 || i < a.count; ++i) {
    std::string id;
    auto t0 = std::chrono::steady_clock::now();
    glassbox::Status st = RecordOne(r, a, i, &id);
    auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    if (!st.ok()) {
      failed = true;
      std::fprintf(stderr, "error: %s\n", st.message().c_str());
      continue;
    }
    Emit(a.latency ? id + " " + std::to_string(us) : id);
  }
  auto c = r.counters();
  std::fprintf(
      stderr, "counters recorded=%llu refused=%llu dropped=%llu skipped=%llu\n",
      static_cast<unsigned long long>(c.recorded), static_cast<unsigned long long>(c.refused),
      static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(c.skipped));
  return failed ? 1 : 0;
}
