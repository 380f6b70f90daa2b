#pragma once
// glassbox C++ API: record usage events that are validated against a schema and anonymized
// before they touch disk.
//
// Every call is noexcept and reports failure as a Status: telemetry never throws into, or
// crashes, its host. A Recorder may be shared between threads (calls are serialized inside).
// It belongs to the process that opened it: in a child of fork() it refuses every call
// (kInvalidArgument) and its destructor leaves the parent's journal and threads alone. Open
// recorders after fork(): a child of a process whose recorder threads were inside SQLite at
// the fork can block opening a new one.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "glassbox/export.h"
#include "glassbox/status.h"

namespace glassbox {

struct RecorderOptions {
  std::string journal_path{};  // empty: $GLASSBOX_JOURNAL, else $XDG_DATA_HOME/glassbox/journal.db
  std::string schema_dir{};    // empty: built-in schemas only
  std::string app_name{}, app_version{};
  std::string runtime_name{}, runtime_version{};  // e.g. "python", "3.11.7"
  std::string project_id{};
  // Survive power loss too (synchronous=FULL), not just a killed process. Slower.
  bool full_durability = false;
  // Buffered mode: record() only queues the event for a background writer, so the host
  // thread never waits on disk. The writer writes 4,096 events at a time (one journal block,
  // compressed once), or whatever has waited a second. Events not yet written are lost if the
  // process is killed;
  // Flush() and the Recorder's destructor write them out. At most `buffer_max_events` wait;
  // beyond that record() drops the event (counted) rather than block.
  bool buffered = false;
  size_t buffer_max_events = 100000;
};

// The end state of a span's work, sent in the `completed` event's `final` object.
struct FinalState {
  std::string status;  // success | failed | aborted
  std::optional<int64_t> exit_code;
  std::string error_type;  // an exception's type name, never its message; optional
};

struct RecorderCounters {
  uint64_t recorded = 0;  // events stored
  uint64_t refused = 0;   // invalid events (schema, input)
  uint64_t dropped = 0;   // valid events lost to a journal failure (disk full, I/O error)
  uint64_t skipped = 0;   // not recorded because consent is off
};

class Recorder;

// Started work. Complete() writes the `completed` event: the started event's data plus `final`.
// A Span destroyed without Complete() writes nothing: the open span is how a killed run shows.
class GLASSBOX_EXPORT Span {
 public:
  Span() = default;
  const std::string& id() const noexcept { return id_; }
  // Returns the completed event's id.
  Result<std::string> Complete(const FinalState& final_state) noexcept;

 private:
  friend class Recorder;
  Recorder* recorder_ = nullptr;
  std::string id_;
};

class GLASSBOX_EXPORT Recorder {
 public:
  static Result<std::unique_ptr<Recorder>> Open(const RecorderOptions& options) noexcept;
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Records one event. `schema` is an iglu: URI or a short name (newest version); `data_json`
  // is the event's input as a JSON object. Returns the event id; empty when consent is off.
  Result<std::string> Record(std::string_view schema, std::string_view data_json) noexcept;
  // Records a `started` event and returns its span (id empty when consent is off).
  Result<Span> Start(std::string_view schema, std::string_view data_json) noexcept;
  // Completes a span by id, also one started by another process.
  Result<std::string> Complete(std::string_view span_id, const FinalState& final_state) noexcept;

  // Writes out everything buffered (a no-op unless buffered); returns the first write error
  // since the last Flush.
  Status Flush() noexcept;

  RecorderCounters counters() const noexcept;
  const std::string& install_id() const noexcept;

  class Impl;

 private:
  explicit Recorder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The library's version, e.g. "0.1.0".
GLASSBOX_EXPORT const char* Version() noexcept;

}  // namespace glassbox
