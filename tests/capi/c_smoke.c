/* Compiled as C99 with -Wpedantic: the header is valid C, and a C program links and records.
 * Usage: c_smoke JOURNAL */
#include <glassbox/glassbox.h>
#include <stdio.h>
#include <string.h>

static int check(glassbox_status st, const char* what) {
  if (st == GLASSBOX_OK) return 0;
  fprintf(stderr, "%s: %s (%s)\n", what, glassbox_status_name(st), glassbox_last_error());
  return 1;
}

int main(int argc, char** argv) {
  glassbox_options* options;
  glassbox_recorder* recorder = NULL;
  glassbox_counters counters;
  char id[GLASSBOX_ID_SIZE], span[GLASSBOX_ID_SIZE];
  int64_t exit_code = 0;
  int failed = 0;
  if (argc != 2) return 64;
  options = glassbox_options_new();
  failed |= check(glassbox_options_set_journal(options, argv[1]), "set_journal");
  failed |= check(glassbox_options_set_runtime(options, "c", "99"), "set_runtime");
  failed |= check(glassbox_recorder_open(options, &recorder), "open");
  glassbox_options_free(options);
  if (failed) return 1;
  failed |= check(glassbox_record(recorder, "cli_event", "{\"command\":\"init\"}", id), "record");
  failed |= check(glassbox_start(recorder, "cli_event", "{\"command\":\"run\"}", span), "start");
  failed |= check(glassbox_complete(recorder, span, "success", &exit_code, NULL, id), "complete");
  failed |= check(glassbox_flush(recorder), "flush");
  failed |= check(glassbox_recorder_counters(recorder, &counters), "counters");
  if (!failed && counters.recorded != 3) {
    fprintf(stderr, "recorded %lu events, expected 3\n", (unsigned long)counters.recorded);
    failed = 1;
  }
  if (glassbox_record(recorder, "cli_event", "{}", NULL) != GLASSBOX_INVALID_EVENT) {
    fprintf(stderr, "an event without the required command was not refused\n");
    failed = 1;
  }
  glassbox_recorder_close(recorder);
  printf("c_smoke: glassbox %s, %s\n", glassbox_version(), failed ? "FAILED" : "ok");
  return failed;
}
