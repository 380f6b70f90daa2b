/* Records one event and one span through the C API. Usage: consumer_c JOURNAL */
#include <glassbox/glassbox.h>
#include <stdio.h>

int main(int argc, char** argv) {
  glassbox_options* options = glassbox_options_new();
  glassbox_recorder* recorder = NULL;
  char span[GLASSBOX_ID_SIZE];
  glassbox_status st;
  if (argc != 2 || !options) return 64;
  glassbox_options_set_journal(options, argv[1]);
  glassbox_options_set_app(options, "consumer-c", "1.0");
  st = glassbox_recorder_open(options, &recorder);
  glassbox_options_free(options);
  if (st == GLASSBOX_OK) st = glassbox_record(recorder, "cli_event", "{\"command\":\"c\"}", NULL);
  if (st == GLASSBOX_OK) st = glassbox_start(recorder, "cli_event", "{\"command\":\"c\"}", span);
  if (st == GLASSBOX_OK) st = glassbox_complete(recorder, span, "success", NULL, NULL, NULL);
  if (st != GLASSBOX_OK) fprintf(stderr, "consumer_c: %s\n", glassbox_last_error());
  glassbox_recorder_close(recorder);
  printf("consumer_c %s: %s\n", glassbox_version(), glassbox_status_name(st));
  return st == GLASSBOX_OK ? 0 : 1;
}
