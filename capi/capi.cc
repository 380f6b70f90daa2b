// The C API (include/glassbox/glassbox.h): a thin layer over glassbox::Recorder.
//
// Invariant: no C++ exception leaves this file. Every entry point runs its body inside Guard(),
// which turns a stray exception (std::bad_alloc while copying a string, say) into
// GLASSBOX_INTERNAL. Messages of caught exceptions are not passed on: they may quote input.
#include "glassbox/glassbox.h"

#include <cstring>
#include <memory>
#include <string>

#include "glassbox/recorder.h"

struct glassbox_options {
  glassbox::RecorderOptions options;
};

struct glassbox_recorder {
  std::unique_ptr<glassbox::Recorder> recorder;
};

namespace {

// glassbox_status values are StatusCode values, so FromStatus is a cast; keep them in step.
using glassbox::StatusCode;
static_assert(GLASSBOX_INVALID_ARGUMENT == static_cast<int>(StatusCode::kInvalidArgument));
static_assert(GLASSBOX_INVALID_EVENT == static_cast<int>(StatusCode::kInvalidEvent));
static_assert(GLASSBOX_SCHEMA_ERROR == static_cast<int>(StatusCode::kSchemaError));
static_assert(GLASSBOX_NOT_FOUND == static_cast<int>(StatusCode::kNotFound));
static_assert(GLASSBOX_IO_ERROR == static_cast<int>(StatusCode::kIoError));
static_assert(GLASSBOX_CORRUPTION == static_cast<int>(StatusCode::kCorruption));
static_assert(GLASSBOX_BUSY == static_cast<int>(StatusCode::kBusy));
static_assert(GLASSBOX_POLICY_DENIED == static_cast<int>(StatusCode::kPolicyDenied));
static_assert(GLASSBOX_TRANSIENT == static_cast<int>(StatusCode::kTransient));
static_assert(GLASSBOX_PERMANENT == static_cast<int>(StatusCode::kPermanent));

thread_local std::string t_last_error;

glassbox_status Fail(glassbox_status code, const std::string& message) {
  t_last_error = message;
  return code;
}

glassbox_status FromStatus(const glassbox::Status& status) {
  if (status.ok()) return GLASSBOX_OK;
  return Fail(static_cast<glassbox_status>(status.code()), status.message());
}

// Runs `body` with last-error cleared; maps any exception to GLASSBOX_INTERNAL.
template <typename Body>
glassbox_status Guard(Body&& body) noexcept {
  try {
    t_last_error.clear();
    return body();
  } catch (...) {
    try {
      t_last_error = "glassbox: internal error";
    } catch (...) {
      // Out of memory even for the message: the status code alone still tells the caller.
    }
    return GLASSBOX_INTERNAL;
  }
}

glassbox_status MissingArgument(const char* name) {
  return Fail(GLASSBOX_INVALID_ARGUMENT, std::string(name) + " must not be NULL");
}

// Copies an id (at most 36 characters) into the caller's GLASSBOX_ID_SIZE buffer.
void CopyId(const std::string& id, char* out) {
  if (!out) return;
  size_t n = id.size() < GLASSBOX_ID_SIZE - 1 ? id.size() : GLASSBOX_ID_SIZE - 1;
  std::memcpy(out, id.data(), n);
  out[n] = '\0';
}

glassbox_status IdResult(const glassbox::Result<std::string>& id, char* out) {
  CopyId(id.ok() ? id.value() : std::string(), out);
  return FromStatus(id.status());
}

std::string OrEmpty(const char* s) { return s ? s : ""; }

}  // namespace

extern "C" {

const char* glassbox_version(void) { return glassbox::Version(); }

const char* glassbox_status_name(glassbox_status status) {
  switch (status) {
    case GLASSBOX_OK:
      return "ok";
    case GLASSBOX_INVALID_ARGUMENT:
      return "invalid_argument";
    case GLASSBOX_INVALID_EVENT:
      return "invalid_event";
    case GLASSBOX_SCHEMA_ERROR:
      return "schema_error";
    case GLASSBOX_NOT_FOUND:
      return "not_found";
    case GLASSBOX_IO_ERROR:
      return "io_error";
    case GLASSBOX_CORRUPTION:
      return "corruption";
    case GLASSBOX_BUSY:
      return "busy";
    case GLASSBOX_POLICY_DENIED:
      return "policy_denied";
    case GLASSBOX_TRANSIENT:
      return "transient";
    case GLASSBOX_PERMANENT:
      return "permanent";
    case GLASSBOX_INTERNAL:
      return "internal";
  }
  return "unknown";
}

const char* glassbox_last_error(void) { return t_last_error.c_str(); }

glassbox_options* glassbox_options_new(void) {
  try {
    return new glassbox_options();
  } catch (...) {
    return nullptr;
  }
}

void glassbox_options_free(glassbox_options* options) { delete options; }

glassbox_status glassbox_options_set_journal(glassbox_options* o, const char* path) {
  return Guard([&] {
    if (!o) return MissingArgument("options");
    o->options.journal_path = OrEmpty(path);
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_options_set_schema_dir(glassbox_options* o, const char* dir) {
  return Guard([&] {
    if (!o) return MissingArgument("options");
    o->options.schema_dir = OrEmpty(dir);
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_options_set_app(glassbox_options* o, const char* name,
                                         const char* version) {
  return Guard([&] {
    if (!o) return MissingArgument("options");
    o->options.app_name = OrEmpty(name);
    o->options.app_version = OrEmpty(version);
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_options_set_runtime(glassbox_options* o, const char* name,
                                             const char* version) {
  return Guard([&] {
    if (!o) return MissingArgument("options");
    o->options.runtime_name = OrEmpty(name);
    o->options.runtime_version = OrEmpty(version);
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_options_set_project_id(glassbox_options* o, const char* project_id) {
  return Guard([&] {
    if (!o) return MissingArgument("options");
    o->options.project_id = OrEmpty(project_id);
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_options_set_full_durability(glassbox_options* o, int enabled) {
  return Guard([&] {
    if (!o) return MissingArgument("options");
    o->options.full_durability = enabled != 0;
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_options_set_buffered(glassbox_options* o, int enabled, size_t max_events) {
  return Guard([&] {
    if (!o) return MissingArgument("options");
    o->options.buffered = enabled != 0;
    o->options.buffer_max_events =
        max_events ? max_events : glassbox::RecorderOptions{}.buffer_max_events;
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_recorder_open(const glassbox_options* options, glassbox_recorder** out) {
  return Guard([&] {
    if (!out) return MissingArgument("out");
    *out = nullptr;
    auto opened =
        glassbox::Recorder::Open(options ? options->options : glassbox::RecorderOptions{});
    if (!opened.ok()) return FromStatus(opened.status());
    auto handle = std::make_unique<glassbox_recorder>();
    handle->recorder = std::move(opened.value());
    *out = handle.release();
    return GLASSBOX_OK;
  });
}

void glassbox_recorder_close(glassbox_recorder* recorder) { delete recorder; }

glassbox_status glassbox_record(glassbox_recorder* recorder, const char* schema,
                                const char* data_json, char* event_id) {
  CopyId("", event_id);
  return Guard([&] {
    if (!recorder) return MissingArgument("recorder");
    if (!schema) return MissingArgument("schema");
    if (!data_json) return MissingArgument("data_json");
    return IdResult(recorder->recorder->Record(schema, data_json), event_id);
  });
}

glassbox_status glassbox_start(glassbox_recorder* recorder, const char* schema,
                               const char* data_json, char* span_id) {
  CopyId("", span_id);
  return Guard([&] {
    if (!recorder) return MissingArgument("recorder");
    if (!schema) return MissingArgument("schema");
    if (!data_json) return MissingArgument("data_json");
    auto span = recorder->recorder->Start(schema, data_json);
    if (!span.ok()) return FromStatus(span.status());
    CopyId(span->id(), span_id);
    return GLASSBOX_OK;
  });
}

glassbox_status glassbox_complete(glassbox_recorder* recorder, const char* span_id,
                                  const char* status, const int64_t* exit_code,
                                  const char* error_type, char* event_id) {
  CopyId("", event_id);
  return Guard([&] {
    if (!recorder) return MissingArgument("recorder");
    if (!span_id) return MissingArgument("span_id");
    if (!status) return MissingArgument("status");
    if (!*span_id) return GLASSBOX_OK;  // started while consent was off: nothing to complete
    glassbox::FinalState final_state;
    final_state.status = status;
    if (exit_code) final_state.exit_code = *exit_code;
    final_state.error_type = OrEmpty(error_type);
    return IdResult(recorder->recorder->Complete(span_id, final_state), event_id);
  });
}

glassbox_status glassbox_flush(glassbox_recorder* recorder) {
  return Guard([&] {
    if (!recorder) return MissingArgument("recorder");
    return FromStatus(recorder->recorder->Flush());
  });
}

glassbox_status glassbox_recorder_counters(const glassbox_recorder* recorder,
                                           glassbox_counters* out) {
  return Guard([&] {
    if (!recorder) return MissingArgument("recorder");
    if (!out) return MissingArgument("out");
    glassbox::RecorderCounters c = recorder->recorder->counters();
    *out = {c.recorded, c.refused, c.dropped, c.skipped};
    return GLASSBOX_OK;
  });
}

const char* glassbox_recorder_install_id(const glassbox_recorder* recorder) {
  return recorder ? recorder->recorder->install_id().c_str() : nullptr;
}

}  // extern "C"
