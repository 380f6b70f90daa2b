"""record / start / complete / inspect through the real binary."""
import hashlib
import json
import os
import stat
import subprocess

from harness import BIN, GlassboxCase


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


class RecordTest(GlassboxCase):
    def record_cli_event(self, **fields):
        args = ["record", "cli_event"]
        for k, v in fields.items():
            args += ["--field", f"{k}:={json.dumps(v)}"]
        return self.run_gb(*args).stdout.strip()

    def test_digests_equal_md5sum_and_sha256sum_of_the_same_bytes(self):
        self.record_cli_event(command="run", args=["--full-refresh", "tap-github"],
                              project_config={"b": 1, "a": [1.0, 2.5]},
                              plugins=[{"name": "tap-github", "config": {"token": "x", "n": 2}}])
        [event] = self.events()
        coreutils_md5 = subprocess.run(["md5sum"], input=b"--full-refresh", capture_output=True)
        self.assertEqual(event["data"]["args"][0], coreutils_md5.stdout.split()[0].decode())
        self.assertEqual(event["data"]["args"][1], md5("tap-github"))
        # RFC 8785: sorted keys, 1.0 written as 1, no whitespace.
        self.assertEqual(event["data"]["project_config"], sha256('{"a":[1,2.5],"b":1}'))
        self.assertEqual(event["data"]["plugins"][0]["config"], md5('{"n":2,"token":"x"}'))
        self.assertEqual(event["data"]["command"], "run")

    def test_raw_values_of_hashed_and_dropped_fields_never_reach_the_journal(self):
        canaries = ["CANARY-ARG-7f3a", "CANARY-SETTING-91b2", "CANARY-CONFIG-5c4d",
                    "CANARY-PROJECT-e8e8"]
        for _ in range(3):  # also leaves a WAL behind between processes
            self.record_cli_event(command="run", args=[canaries[0]],
                                  settings={"password": canaries[1]},
                                  plugins=[{"name": "p", "config": {"k": canaries[2]}}],
                                  project_config={"x": canaries[3]})
        blobs = self.journal_files_bytes()
        self.assertIn("journal.db", blobs)
        for name, data in blobs.items():
            for canary in canaries:
                self.assertNotIn(canary.encode(), data, f"{canary} found in {name}")
        self.assertEqual(len(self.events()), 3)

    def test_invalid_event_is_refused_with_65_naming_the_field_and_stores_nothing(self):
        proc = self.run_gb("record", "cli_event", "--field", "command=run",
                           "--field", "secret_thing=CANARY-UNKNOWN", check=False)
        self.assertEqual(proc.returncode, 65)
        self.assertIn("secret_thing", proc.stderr)
        self.assertNotIn("CANARY-UNKNOWN", proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1)
        proc = self.run_gb("record", "cli_event", "--field", "command:=42", check=False)
        self.assertEqual(proc.returncode, 65)
        self.assertIn("/command", proc.stderr)
        self.assertEqual(self.events(), [])

    def test_unknown_schema_and_usage_errors(self):
        self.assertEqual(self.run_gb("record", "no_such_schema", check=False).returncode, 66)
        self.assertEqual(self.run_gb("record", "--no-such-flag", check=False).returncode, 64)

    def test_span_completed_event_repeats_the_started_data_plus_final(self):
        span = self.run_gb("start", "cli_event", "--field", "command=elt",
                           "--field", 'args:=["--x"]').stdout.strip()
        self.run_gb("complete", span, "--status", "failed", "--exit-code", "3")
        started, completed = self.events()
        self.assertEqual(started["phase"], "started")
        self.assertEqual(completed["phase"], "completed")
        self.assertEqual(started["span_id"], span)
        self.assertEqual(completed["span_id"], span)
        self.assertEqual(started["data"], completed["data"])
        self.assertEqual(completed["final"]["status"], "failed")
        self.assertEqual(completed["final"]["exit_code"], 3)
        self.assertGreaterEqual(completed["final"]["duration_ms"], 0)
        summary = json.loads(self.run_gb("inspect", "--format", "json").stdout)
        self.assertEqual(summary["open_spans"], 0)

    def test_unfinished_span_shows_as_open(self):
        self.run_gb("start", "cli_event", "--field", "command=elt")
        summary = json.loads(self.run_gb("inspect", "--format", "json").stdout)
        self.assertEqual(summary["open_spans"], 1)
        self.assertEqual(summary["events_total"], 1)
        self.assertEqual(summary["by_state"]["pending"], 1)

    def test_do_not_track_makes_recording_a_successful_no_op(self):
        for var, value in (("DO_NOT_TRACK", "1"), ("GLASSBOX_CONSENT", "off")):
            env = dict(self.env, **{var: value})
            proc = self.run_gb("record", "cli_event", "--field", "command=run", env=env)
            self.assertEqual(proc.stdout, "")
        self.assertEqual(self.events(), [])

    def test_ndjson_keeps_accepted_lines_and_reports_refused_ones(self):
        lines = "\n".join([
            json.dumps({"schema": "cli_event", "data": {"command": "a"}}),
            json.dumps({"schema": "cli_event", "data": {"command": "b", "nope": 1}}),
            "not json",
            json.dumps({"schema": "cli_event", "data": {"command": "c"}}),
        ]) + "\n"
        proc = self.run_gb("record", "--ndjson", "-", input=lines, check=False)
        self.assertEqual(proc.returncode, 65)
        self.assertIn("accepted 2, refused 2", proc.stdout)
        self.assertIn("line 2:", proc.stderr)
        self.assertIn("line 3:", proc.stderr)
        self.assertEqual([e["data"]["command"] for e in self.events()], ["a", "c"])

    def test_journal_is_private_under_a_permissive_umask(self):
        old = os.umask(0)
        try:
            self.record_cli_event(command="run")
        finally:
            os.umask(old)
        self.assertEqual(stat.S_IMODE(os.stat(self.journal).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.journal)).st_mode), 0o700)

    def test_sqlite3_can_open_the_journal(self):
        self.record_cli_event(command="run")
        out = subprocess.run(["sqlite3", self.journal, "PRAGMA integrity_check"],
                             capture_output=True, text=True)
        self.assertEqual(out.stdout.strip(), "ok")


class PurgeTest(GlassboxCase):
    def test_purge_deletes_by_state_and_records_it_in_the_ledger(self):
        for i in range(3):
            self.run_gb("record", "cli_event", "--field", f"command=c{i}")
        self.assertEqual(self.run_gb("purge", check=False).returncode, 64)
        out = self.run_gb("purge", "--state", "sent")
        self.assertIn("deleted 0", out.stdout)
        out = self.run_gb("purge", "--state", "pending")
        self.assertIn("deleted 3", out.stdout)
        self.assertEqual(self.events(), [])
        ledger = json.loads(self.run_gb("inspect", "ledger", "--format", "json").stdout)
        deletions = [e for e in ledger["entries"] if e["kind"] == "delete"]
        self.assertEqual([e["events"] for e in deletions], [0, 3])
