"""Shared helpers for end-to-end tests: run the real glassbox binary on a private journal."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

BIN = os.environ.get("GLASSBOX_BIN", "glassbox")


class GlassboxCase(unittest.TestCase):
    """Each test gets a fresh directory holding its journal; nothing leaks between tests."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="glassbox-e2e-")
        self.journal = os.path.join(self.dir, "state", "journal.db")
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DO_NOT_TRACK", "GLASSBOX_CONSENT", "GLASSBOX_JOURNAL",
                                 "GLASSBOX_CONFIG", "GLASSBOX_SCHEMAS")}
        self.env["HOME"] = self.dir
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.dir, "config")
        self.env["XDG_DATA_HOME"] = os.path.join(self.dir, "data")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_gb(self, *args, input=None, env=None, check=True, journal=True, timeout=120):
        """Runs glassbox in the test's directory (a stray file lands there, not in the source
        tree); returns CompletedProcess with text stdout/stderr."""
        cmd = [BIN] + (["--journal", self.journal] if journal else []) + list(args)
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True,
                              env=env or self.env, timeout=timeout, cwd=self.dir)
        if check and proc.returncode != 0:
            self.fail(f"{cmd} exited {proc.returncode}: {proc.stderr}")
        return proc

    def events(self, state=None):
        args = ["inspect", "events", "--format", "ndjson"]
        if state:
            args += ["--state", state]
        out = self.run_gb(*args).stdout
        return [json.loads(line) for line in out.splitlines() if line]

    def journal_files_bytes(self):
        """The raw bytes of every file in the journal's directory (db, WAL, shm, anything)."""
        blobs = {}
        for name in os.listdir(os.path.dirname(self.journal)):
            with open(os.path.join(os.path.dirname(self.journal), name), "rb") as f:
                blobs[name] = f.read()
        return blobs
