"""The Python package against the built libglassbox (GLASSBOX_LIBRARY) and glassbox binary
(GLASSBOX_BIN, used to read back what was stored)."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import glassbox  # noqa: E402

from . import bin_env  # noqa: E402

BIN = os.environ.get("GLASSBOX_BIN", "glassbox")
CONSENT_VARS = ("DO_NOT_TRACK", "GLASSBOX_CONSENT", "GLASSBOX_JOURNAL")


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class RecorderCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="glassbox-py-")
        self.journal = os.path.join(self.dir, "journal.db")
        self.saved_env = {k: os.environ.pop(k) for k in CONSENT_VARS if k in os.environ}
        self.rec = glassbox.Recorder(self.journal, app_name="pytest-tool", app_version="2.0",
                                     errors="raise")

    def tearDown(self):
        self.rec.close()
        for k in CONSENT_VARS:
            os.environ.pop(k, None)
        os.environ.update(self.saved_env)
        shutil.rmtree(self.dir, ignore_errors=True)

    def events(self):
        out = subprocess.run([BIN, "--journal", self.journal, "inspect", "events", "--format",
                              "ndjson"], check=True, capture_output=True, text=True,
                             env=bin_env()).stdout
        return [json.loads(line) for line in out.splitlines() if line]

    def journal_bytes(self):
        blob = b""
        for name in os.listdir(self.dir):
            with open(os.path.join(self.dir, name), "rb") as f:
                blob += f.read()
        return blob


class RecordTest(RecorderCase):
    def test_record_stores_the_anonymized_event_with_python_context(self):
        event_id = self.rec.record("cli_event", {"command": "run", "args": ["--full-refresh"]})
        self.assertEqual(36, len(event_id))
        [event] = self.events()
        self.assertEqual(event_id, event["event_id"])
        self.assertEqual({"command": "run", "args": [md5("--full-refresh")]}, event["data"])
        self.assertEqual("python", event["context"]["runtime_name"])
        self.assertEqual(f"{sys.version_info.major}.{sys.version_info.minor}",
                         ".".join(event["context"]["runtime_version"].split(".")[:2]))
        self.assertEqual("pytest-tool", event["context"]["app_name"])

    def test_dropped_field_never_reaches_the_journal(self):
        self.rec.record("cli_event", {"command": "run", "settings": {"TOKEN": "canary-8d1f"}})
        self.rec.flush()
        self.assertNotIn(b"canary-8d1f", self.journal_bytes())
        self.assertNotIn("settings", self.events()[0]["data"])

    def test_refused_event_raises_naming_the_field_not_the_value(self):
        with self.assertRaises(glassbox.Error) as cm:
            self.rec.record("cli_event", {"command": "run", "password": "canary-22ab"})
        self.assertEqual("invalid_event", cm.exception.code)
        self.assertIn("password", str(cm.exception))
        self.assertNotIn("canary-22ab", str(cm.exception))
        self.assertEqual(glassbox.Counters(refused=1), self.rec.counters())

    def test_unknown_schema_is_not_found(self):
        with self.assertRaises(glassbox.Error) as cm:
            self.rec.record("no_such_schema", {})
        self.assertEqual("not_found", cm.exception.code)

    def test_data_that_is_not_json_is_refused_without_quoting_it(self):
        with self.assertRaises(glassbox.Error) as cm:
            self.rec.record("cli_event", {"command": {"canary-set-value"}})
        self.assertEqual("invalid_event", cm.exception.code)
        self.assertNotIn("canary", str(cm.exception))

    def test_warn_mode_reports_a_warning_and_returns_empty(self):
        rec = glassbox.Recorder(self.journal)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertEqual("", rec.record("cli_event", {"command": "run", "bogus": 1}))
        self.assertEqual(1, len(caught))
        self.assertIs(glassbox.TelemetryWarning, caught[0].category)
        self.assertEqual(__file__, caught[0].filename)  # points at the host's call
        self.assertEqual(1, rec.counters().refused)
        self.assertIn("bogus", rec.last_error)
        rec.close()

    def test_ignore_mode_is_silent_but_counts(self):
        rec = glassbox.Recorder(self.journal, errors="ignore")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            self.assertEqual("", rec.record("cli_event", {"bogus": 1}))
        self.assertEqual(1, rec.counters().refused)
        rec.close()

    def test_consent_off_records_nothing_and_counts_skipped(self):
        os.environ["DO_NOT_TRACK"] = "1"
        rec = glassbox.Recorder(self.journal, errors="raise")
        self.assertEqual("", rec.record("cli_event", {"command": "run"}))
        with rec.span("cli_event", {"command": "run"}) as span:
            self.assertEqual("", span.id)
        self.assertEqual(glassbox.Counters(skipped=2), rec.counters())  # record and start
        rec.close()
        self.assertEqual([], self.events())

    def test_threads_share_one_recorder(self):
        def work():
            for _ in range(25):
                self.rec.record("cli_event", {"command": "run"})
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(100, self.rec.counters().recorded)

    def test_buffered_events_are_written_by_flush(self):
        rec = glassbox.Recorder(self.journal, buffered=True, buffer_max_events=1000,
                                errors="raise")
        ids = [rec.record("cli_event", {"command": "run"}) for _ in range(30)]
        rec.flush()
        self.assertEqual(ids, [e["event_id"] for e in self.events()])
        rec.close()

    def test_close_is_idempotent_and_later_calls_fail_cleanly(self):
        self.rec.close()
        self.rec.close()
        self.assertFalse(self.rec.enabled)
        with self.assertRaises(glassbox.Error):
            self.rec.record("cli_event", {"command": "run"})
        self.assertEqual(glassbox.Counters(), self.rec.counters())

    def test_missing_library_disables_the_recorder_instead_of_raising(self):
        missing = os.path.join(self.dir, "libglassbox.so.0")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rec = glassbox.Recorder(self.journal, library=missing)
            self.assertEqual("", rec.record("cli_event", {"command": "run"}))
        self.assertFalse(rec.enabled)
        self.assertTrue(caught)
        self.assertIn("libglassbox not found", str(caught[0].message))
        with self.assertRaises(glassbox.Error) as cm:
            glassbox.Recorder(self.journal, library=missing, errors="raise")
        self.assertEqual("library_not_found", cm.exception.code)

    def test_unopenable_journal_raises_in_raise_mode(self):
        with self.assertRaises(glassbox.Error):
            glassbox.Recorder("/dev/null/journal.db", errors="raise")

    def test_library_version_matches_the_binary(self):
        out = subprocess.run([BIN, "--version"], check=True, capture_output=True, text=True,
                             env=bin_env())
        self.assertIn(glassbox.library_version(), out.stdout)


class SpanTest(RecorderCase):
    def completed(self):
        return [e for e in self.events() if e["phase"] == "completed"]

    def test_span_completes_with_success(self):
        with self.rec.span("cli_event", {"command": "elt"}) as span:
            span.exit_code = 0
        [done] = self.completed()
        self.assertEqual(span.id, done["span_id"])
        self.assertEqual("success", done["final"]["status"])
        self.assertEqual(0, done["final"]["exit_code"])

    def test_exception_completes_failed_with_its_type_not_its_message(self):
        with self.assertRaises(ValueError):
            with self.rec.span("cli_event", {"command": "elt"}):
                raise ValueError("canary-message-91c")
        [done] = self.completed()
        self.assertEqual("failed", done["final"]["status"])
        self.assertEqual("ValueError", done["final"]["error_type"])
        self.assertNotIn(b"canary-message-91c", self.journal_bytes())

    def test_system_exit_records_its_code(self):
        with self.assertRaises(SystemExit):
            with self.rec.span("cli_event", {"command": "elt"}):
                sys.exit(3)
        with self.assertRaises(SystemExit):
            with self.rec.span("cli_event", {"command": "elt"}):
                sys.exit(0)
        finals = sorted((e["final"]["status"], e["final"]["exit_code"]) for e in self.completed())
        self.assertEqual([("failed", 3), ("success", 0)], finals)

    def test_keyboard_interrupt_is_aborted(self):
        with self.assertRaises(KeyboardInterrupt):
            with self.rec.span("cli_event", {"command": "elt"}):
                raise KeyboardInterrupt
        self.assertEqual("aborted", self.completed()[0]["final"]["status"])

    def test_completion_failure_never_replaces_the_blocks_exception(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with self.assertRaises(ZeroDivisionError):
                with self.rec.span("cli_event", {"command": "elt"}):
                    self.rec.close()  # completing will fail: the recorder is closed
                    1 / 0

    def test_start_and_complete_across_recorders(self):
        span = self.rec.start("cli_event", {"command": "elt"})
        other = glassbox.Recorder(self.journal, errors="raise")
        self.assertEqual(36, len(other.complete(span.id, "aborted", exit_code=130)))
        other.close()
        [done] = self.completed()
        self.assertEqual(["aborted", 130], [done["final"]["status"], done["final"]["exit_code"]])

    def test_a_span_completes_once(self):
        span = self.rec.start("cli_event", {"command": "elt"})
        self.assertTrue(span.complete())
        self.assertEqual("", span.complete())
        self.assertEqual(1, len(self.completed()))


class SharedJournalTest(RecorderCase):
    def test_a_second_recorder_in_the_process_keeps_the_first_ones_locks(self):
        """Opening a journal must not open and close its file: on Linux that drops every POSIX
        lock the process holds on it, so another process's close would think it was the last
        connection, checkpoint and delete the WAL, and what this process writes next would go
        to a deleted file that no other process reads."""
        self.rec.record("cli_event", {"command": "before"})
        second = glassbox.Recorder(self.journal, errors="raise")
        try:
            subprocess.run([BIN, "--journal", self.journal, "record", "cli_event", "--field",
                            "command=other-process"], check=True, capture_output=True,
                            env=bin_env())
            self.rec.record("cli_event", {"command": "after"})
            second.record("cli_event", {"command": "second"})
            # Read by another process while both recorders are still open.
            commands = sorted(e["data"]["command"] for e in self.events())
        finally:
            second.close()
        self.assertEqual(["after", "before", "other-process", "second"], commands)


if __name__ == "__main__":
    unittest.main()
