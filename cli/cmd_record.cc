// record, start, complete: capture from the shell.
#include <fstream>
#include <iostream>

#include "cli/cli.h"
#include "cli/fields.h"
#include "recorder/input_guard.h"

namespace glassbox::cli {
namespace {

struct RecordOptions {
  std::string schema;
  std::vector<std::string> fields;
  std::string data;
  std::string ndjson;
};

// Every piece of JSON from the command line passes the recorder's input guard first: a plain
// parse would silently keep the last of two duplicate keys and misreport hostile input.
nlohmann::json GuardedJson(const std::string& text, const std::string& what) {
  nlohmann::json out;
  Status st = recorder::ParseInput(text, what, &out);
  if (!st.ok()) throw Failure(kExitDataErr, st.message());
  return out;
}

nlohmann::json ParseFieldValue(const std::string& field, const std::string& json_text) {
  return GuardedJson("{\"v\":" + json_text + "}", "--field " + field + ":=")["v"];
}

// Reads one line of at most `max` bytes; the rest of a longer line is skipped (*too_long set),
// so a hostile stream cannot make the process hold an unbounded line in memory.
bool ReadBoundedLine(std::istream& in, size_t max, std::string* line, bool* too_long) {
  line->clear();
  *too_long = false;
  std::streambuf* buf = in.rdbuf();
  for (;;) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) return !line->empty() || *too_long;
    if (c == '\n') return true;
    if (line->size() < max) {
      line->push_back(static_cast<char>(c));
    } else {
      *too_long = true;
    }
  }
}

// Reports each refused line by number, records the rest; exit 65 when any was refused.
void RecordNdjson(Recorder& recorder, const std::string& file) {
  std::ifstream in;
  if (file != "-") {
    in.open(file);
    if (!in) throw Failure(kExitNoInput, file + ": cannot open");
  }
  std::istream& src = file == "-" ? std::cin : in;
  std::string line;
  int64_t line_no = 0, accepted = 0, refused = 0;
  bool too_long = false;
  // The input guard's limit applies to a whole line (the envelope included).
  const size_t max_line = recorder::kMaxInputBytes;
  while (ReadBoundedLine(src, max_line, &line, &too_long)) {
    ++line_no;
    if (line.empty() && !too_long) continue;
    nlohmann::json obj;
    Status st = too_long ? Status::InvalidEvent("line " + std::to_string(line_no) +
                                                ": input is larger than " +
                                                std::to_string(max_line) + " bytes")
                         : recorder::ParseInput(line, "line " + std::to_string(line_no), &obj);
    if (!st.ok()) {
      std::cerr << st.message() << "\n";
      ++refused;
      continue;
    }
    if (!obj.contains("schema") || !obj["schema"].is_string() || !obj.contains("data")) {
      st = Status::InvalidEvent("expected {\"schema\": NAME, \"data\": {...}}");
    } else {
      auto id = recorder.Record(obj["schema"].get<std::string>(), obj["data"].dump());
      st = id.status();
    }
    if (st.ok()) {
      ++accepted;
    } else {
      ++refused;
      std::cerr << "line " << line_no << ": " << st.message() << "\n";
    }
  }
  std::cout << "accepted " << accepted << ", refused " << refused << "\n";
  if (refused) throw Failure(kExitDataErr, std::to_string(refused) + " line(s) refused");
}

void AddInputOptions(CLI::App* cmd, RecordOptions& o) {
  cmd->add_option("--field,-f", o.fields, "KEY=VALUE (string) or KEY:=JSON; repeatable");
  cmd->add_option("--data,-d", o.data, "The event's input as a JSON object");
}

}  // namespace

nlohmann::json BuildInput(const std::string& data_json, const std::vector<std::string>& fields) {
  nlohmann::json input = nlohmann::json::object();
  if (!data_json.empty()) input = GuardedJson(data_json, "--data");
  for (const auto& f : fields) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) throw Failure(kExitUsage, "--field needs KEY=VALUE");
    bool raw = f[eq - 1] == ':';
    std::string key = f.substr(0, raw ? eq - 1 : eq);
    input[key] = raw ? ParseFieldValue(key, f.substr(eq + 1)) : nlohmann::json(f.substr(eq + 1));
  }
  return input;
}

void RegisterRecord(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<RecordOptions>();
  auto* cmd = app.add_subcommand("record", "Record one event (or many with --ndjson)");
  cmd->add_option("schema", o->schema, "Schema: iglu: URI or short name");
  AddInputOptions(cmd, *o);
  cmd->add_option("--ndjson", o->ndjson, "Record {\"schema\",\"data\"} lines from FILE or -");
  cmd->callback([o, &g] {
    auto recorder = OpenRecorder(g);
    if (!o->ndjson.empty()) return RecordNdjson(*recorder, o->ndjson);
    if (o->schema.empty()) throw Failure(kExitUsage, "record needs a SCHEMA (or --ndjson)");
    auto id = recorder->Record(o->schema, BuildInput(o->data, o->fields).dump());
    if (!id.ok()) Fail(id.status());
    if (!id.value().empty()) std::cout << id.value() << "\n";
  });
}

void RegisterSpans(CLI::App& app, const GlobalOptions& g) {
  auto o = std::make_shared<RecordOptions>();
  auto* start = app.add_subcommand("start", "Record a started event; prints the span id");
  start->add_option("schema", o->schema, "Schema: iglu: URI or short name")->required();
  AddInputOptions(start, *o);
  start->callback([o, &g] {
    auto span = OpenRecorder(g)->Start(o->schema, BuildInput(o->data, o->fields).dump());
    if (!span.ok()) Fail(span.status());
    if (!span->id().empty()) std::cout << span->id() << "\n";
  });

  struct CompleteOptions {
    std::string span_id;
    FinalState final_state;
    int64_t exit_code = 0;
    std::vector<std::string> fields;
  };
  auto c = std::make_shared<CompleteOptions>();
  auto* complete = app.add_subcommand("complete", "Record the completed event of a span");
  complete->add_option("span_id", c->span_id, "The id printed by start")->required();
  complete->add_option("--status", c->final_state.status, "success, failed or aborted")
      ->required()
      ->check(CLI::IsMember({"success", "failed", "aborted"}));
  auto* exit_opt = complete->add_option("--exit-code", c->exit_code, "The work's exit code");
  complete->add_option("--field,-f", c->fields, "error_type=NAME (the only final field)");
  complete->callback([c, exit_opt, &g] {
    if (exit_opt->count()) c->final_state.exit_code = c->exit_code;
    for (const auto& f : c->fields) {
      if (f.rfind("error_type=", 0) != 0) {
        throw Failure(kExitUsage, "--field " + f.substr(0, f.find('=')) +
                                      ": final fields are status, exit_code, error_type");
      }
      c->final_state.error_type = f.substr(11);
    }
    auto id = OpenRecorder(g)->Complete(c->span_id, c->final_state);
    if (!id.ok()) Fail(id.status());
    if (!id.value().empty()) std::cout << id.value() << "\n";
  });
}

}  // namespace glassbox::cli
