#pragma once
/* glassbox C API: record usage events that are validated against a schema and anonymized
 * before they touch disk. For C and for foreign-function interfaces (Python ctypes, Rust, Go).
 *
 * Contract
 * - No function throws, aborts or exits: every failure is a glassbox_status return value, and
 *   glassbox_last_error() describes it in one line that names fields, files and settings, never
 *   event values. Passing NULL where a pointer is required returns GLASSBOX_INVALID_ARGUMENT.
 * - Strings are NUL-terminated UTF-8. Nothing returned needs to be freed except the handles
 *   this header creates (glassbox_options_free, glassbox_recorder_close).
 * - Ids (events, spans) are written into a caller buffer of at least GLASSBOX_ID_SIZE bytes;
 *   pass NULL when the id is not needed. When consent is off a call succeeds and writes ""
 *   (the event is counted as skipped).
 *
 * Thread safety
 * - A glassbox_recorder may be used from several threads at once for record, start, complete,
 *   flush, counters and install_id (calls are serialized inside). glassbox_recorder_close must
 *   not race with any other call on the same recorder.
 * - A glassbox_options is not synchronized: build it on one thread.
 * - glassbox_last_error() is per thread.
 *
 * ABI: exported from libglassbox.so.0 (SONAME). Functions and enum values are only added; a
 * change to an existing signature or struct bumps the SONAME.
 */
#include <stddef.h>
#include <stdint.h>

#include "glassbox/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Results. Values mirror glassbox::StatusCode (include/glassbox/status.h) and are stable. */
typedef enum glassbox_status {
  GLASSBOX_OK = 0,
  GLASSBOX_INVALID_ARGUMENT = 1, /* the caller passed something malformed (usage) */
  GLASSBOX_INVALID_EVENT = 2,    /* the event does not satisfy its schema: refused */
  GLASSBOX_SCHEMA_ERROR = 3,     /* a schema document is broken or unclassified */
  GLASSBOX_NOT_FOUND = 4,        /* unknown schema or span */
  GLASSBOX_IO_ERROR = 5,         /* the journal could not be read or written: dropped */
  GLASSBOX_CORRUPTION = 6,
  GLASSBOX_BUSY = 7, /* the journal stayed locked past the busy timeout */
  GLASSBOX_POLICY_DENIED = 8,
  GLASSBOX_TRANSIENT = 9,
  GLASSBOX_PERMANENT = 10,
  GLASSBOX_INTERNAL = 100 /* an unexpected failure inside glassbox (e.g. out of memory) */
} glassbox_status;

/* Buffer size for an event or span id (a UUIDv7: 36 characters and the NUL). */
#define GLASSBOX_ID_SIZE 37

typedef struct glassbox_options glassbox_options;
typedef struct glassbox_recorder glassbox_recorder;

/* Counters since the recorder was opened. */
typedef struct glassbox_counters {
  uint64_t recorded; /* events stored */
  uint64_t refused;  /* invalid events (schema, input, unknown span) */
  uint64_t dropped;  /* valid events lost to a journal failure (disk full, I/O error) */
  uint64_t skipped;  /* not recorded because consent is off */
} glassbox_counters;

/* The library's version, e.g. "0.1.0". Static storage. */
GLASSBOX_EXPORT const char* glassbox_version(void);

/* A short stable name for a status, e.g. "invalid_event". Static storage; never NULL. */
GLASSBOX_EXPORT const char* glassbox_status_name(glassbox_status status);

/* The message of the most recent failed call on this thread; "" after a call that succeeded.
 * Valid until the next glassbox call on this thread. Never NULL. */
GLASSBOX_EXPORT const char* glassbox_last_error(void);

/* Options for glassbox_recorder_open. Every setting is optional. Setters copy the string;
 * NULL or "" restores the default. Returns NULL only when out of memory. */
GLASSBOX_EXPORT glassbox_options* glassbox_options_new(void);
GLASSBOX_EXPORT void glassbox_options_free(glassbox_options* options); /* NULL is a no-op */
/* Journal file; default $GLASSBOX_JOURNAL, else $XDG_DATA_HOME/glassbox/journal.db. */
GLASSBOX_EXPORT glassbox_status glassbox_options_set_journal(glassbox_options* o, const char* path);
/* A folder of extra schemas (Iglu layout or *.json); default: the built-in schemas only. */
GLASSBOX_EXPORT glassbox_status glassbox_options_set_schema_dir(glassbox_options* o,
                                                                const char* dir);
/* Execution context the host knows: sent in clear text with every event. */
GLASSBOX_EXPORT glassbox_status glassbox_options_set_app(glassbox_options* o, const char* name,
                                                         const char* version);
GLASSBOX_EXPORT glassbox_status glassbox_options_set_runtime(glassbox_options* o, const char* name,
                                                             const char* version);
GLASSBOX_EXPORT glassbox_status glassbox_options_set_project_id(glassbox_options* o,
                                                                const char* project_id);
/* Nonzero: survive power loss too (fsync per event), not just a killed process. Slower. */
GLASSBOX_EXPORT glassbox_status glassbox_options_set_full_durability(glassbox_options* o,
                                                                     int enabled);

/* Nonzero: buffered mode. Record, start and complete only queue the event for a background
 * writer, so the calling thread never waits on disk; glassbox_flush and glassbox_recorder_close
 * write the queue out. The writer writes 4,096 events at a time, or whatever has waited a
 * second; events still queued are lost if the process is killed. At most
 * `max_events` wait (0: the default, 100000); beyond that an event is dropped (counted and
 * reported as GLASSBOX_BUSY) rather than block the host. */
GLASSBOX_EXPORT glassbox_status glassbox_options_set_buffered(glassbox_options* o, int enabled,
                                                              size_t max_events);

/* Opens (creating if needed) the journal and loads the schemas. `options` may be NULL (all
 * defaults) and may be freed right after. On failure *out is NULL. */
GLASSBOX_EXPORT glassbox_status glassbox_recorder_open(const glassbox_options* options,
                                                       glassbox_recorder** out);
/* Closes the recorder, writing out what buffered mode still holds; NULL is a no-op. */
GLASSBOX_EXPORT void glassbox_recorder_close(glassbox_recorder* recorder);

/* Records one event. `schema` is an iglu: URI or a short name (newest version); `data_json`
 * is the event's input as a JSON object. On success writes the event id into `event_id`. */
GLASSBOX_EXPORT glassbox_status glassbox_record(glassbox_recorder* recorder, const char* schema,
                                                const char* data_json, char* event_id);

/* Records a `started` event and writes its span id: the handle for glassbox_complete, which
 * may also be called by another process with the same journal. */
GLASSBOX_EXPORT glassbox_status glassbox_start(glassbox_recorder* recorder, const char* schema,
                                               const char* data_json, char* span_id);

/* Records the span's `completed` event: the started event's data plus the final state.
 * `status` is "success", "failed" or "aborted"; `exit_code` may be NULL; `error_type` is an
 * exception's type name, never its message (NULL or "" for none). An empty span id (a span
 * started while consent was off) succeeds and records nothing. */
GLASSBOX_EXPORT glassbox_status glassbox_complete(glassbox_recorder* recorder, const char* span_id,
                                                  const char* status, const int64_t* exit_code,
                                                  const char* error_type, char* event_id);

/* Writes out every event buffered mode still holds and returns the first write error since the
 * last flush. Unbuffered, every event is committed when recorded and this returns GLASSBOX_OK. */
GLASSBOX_EXPORT glassbox_status glassbox_flush(glassbox_recorder* recorder);

GLASSBOX_EXPORT glassbox_status glassbox_recorder_counters(const glassbox_recorder* recorder,
                                                           glassbox_counters* out);

/* This installation's random id (kept in the journal). Owned by the recorder. NULL if
 * `recorder` is NULL. */
GLASSBOX_EXPORT const char* glassbox_recorder_install_id(const glassbox_recorder* recorder);

#ifdef __cplusplus
} /* extern "C" */
#endif
