// Records one event and one span through the C++ API. Usage: consumer_cxx JOURNAL
#include <glassbox/recorder.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  glassbox::RecorderOptions options;
  options.journal_path = argv[1];
  options.app_name = "consumer-cxx";
  auto recorder = glassbox::Recorder::Open(options);
  if (!recorder.ok()) {
    std::cerr << "consumer_cxx: " << recorder.status().message() << "\n";
    return 1;
  }
  auto id = (*recorder)->Record("cli_event", R"({"command":"cxx"})");
  auto span = (*recorder)->Start("cli_event", R"({"command":"cxx"})");
  glassbox::FinalState done;
  done.status = "success";
  done.exit_code = 0;
  bool ok = id.ok() && span.ok() && span->Complete(done).ok();
  std::cout << "consumer_cxx " << glassbox::Version() << ": " << (ok ? "ok" : "failed") << "\n";
  return ok && (*recorder)->counters().recorded == 3 ? 0 : 1;
}
