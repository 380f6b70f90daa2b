"""The example CLI (examples/pipetool.py) records its own usage as the telemetry standard asks."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from . import bin_env

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
PIPETOOL = os.path.join(PACKAGE_ROOT, "examples", "pipetool.py")
BIN = os.environ.get("GLASSBOX_BIN", "glassbox")


class PipetoolTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="glassbox-pipetool-")
        self.journal = os.path.join(self.dir, "journal.db")
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DO_NOT_TRACK", "GLASSBOX_CONSENT")}
        self.env.update(GLASSBOX_JOURNAL=self.journal, PYTHONPATH=PACKAGE_ROOT,
                        PIPETOOL_GITHUB_TOKEN="ghp_canary_token_5e1")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def pipetool(self, *args, expect=0, env=None):
        proc = subprocess.run([sys.executable, PIPETOOL, *args], cwd=self.dir, env=env or self.env,
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(expect, proc.returncode, proc.stderr)
        return proc

    def events(self):
        out = subprocess.run([BIN, "--journal", self.journal, "inspect", "events", "--format",
                              "ndjson"], check=True, capture_output=True, text=True,
                             env=bin_env()).stdout
        return [json.loads(line) for line in out.splitlines() if line]

    def test_session_is_recorded_anonymized(self):
        self.pipetool("init", "demo")
        self.pipetool("add", "extractor", "tap-github", "--variant", "meltano",
                      "--config", "repository", "acme/app")
        self.pipetool("add", "loader", "target-jsonl")
        self.pipetool("run", "tap-github", "target-jsonl", "--full-refresh")
        events = self.events()
        self.assertEqual(["single"] * 3 + ["started", "completed"], [e["phase"] for e in events])
        self.assertEqual(["init", "add", "add", "run", "run"],
                         [e["data"]["command"] for e in events])
        add = events[1]["data"]
        self.assertEqual("extractor", add["sub_command"])
        config_md5 = hashlib.md5(b'{"repository":"acme/app"}').hexdigest()  # RFC 8785 JSON
        self.assertEqual([{"name": "tap-github", "variant": "meltano", "config": config_md5}],
                         add["plugins"])
        run = events[3]["data"]
        self.assertIn(hashlib.md5(b"--full-refresh").hexdigest(), run["args"])
        self.assertEqual(["tap-github", "target-jsonl"], [p["name"] for p in run["plugins"]])
        self.assertEqual(run, events[4]["data"])  # completed = started + final
        self.assertEqual("success", events[4]["final"]["status"])
        self.assertEqual("pipetool", events[0]["context"]["app_name"])
        self.assertTrue(events[1]["context"]["project_id"])
        raw = b"".join(open(os.path.join(self.dir, n), "rb").read()
                       for n in os.listdir(self.dir) if n.startswith("journal.db"))
        for canary in (b"ghp_canary_token_5e1", b"acme/app", b"--full-refresh"):
            self.assertNotIn(canary, raw)

    def test_failed_run_records_the_exception_type_only(self):
        self.pipetool("init", "demo")
        self.pipetool("add", "extractor", "tap-failing")
        proc = self.pipetool("run", "tap-failing", expect=1)
        self.assertIn("alice", proc.stderr)  # the user sees the message; telemetry does not
        done = self.events()[-1]
        self.assertEqual({"status": "failed", "error_type": "ConnectionError"},
                         {k: done["final"][k] for k in ("status", "error_type")})
        self.assertNotIn("alice", json.dumps(self.events()))

    def test_do_not_track_records_nothing(self):
        env = dict(self.env, DO_NOT_TRACK="1")
        self.pipetool("init", "demo", env=env)
        self.assertEqual([], self.events())


if __name__ == "__main__":
    unittest.main()
