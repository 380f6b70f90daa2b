"""I/O error sweep in the style of SQLite's: an LD_PRELOAD shim fails the k-th write (or sync)
on the journal's files, once or persistently, with EIO or ENOSPC, for every k until the
operation completes without reaching k. After each run the fault is lifted and the journal must
pass integrity_check and open normally. Figures: runs, injected faults, crashes, hangs,
corruptions, errors surfaced (must be 100%), and acknowledged-but-lost events (must be 0)."""
import json
import os
import subprocess
import unittest

from drivers import DRIVER, integrity_check, print_figures
from harness import BIN, GlassboxCase
from rel import SANITIZED, SHIM

CONFIGS = [(ops, err, mode) for ops in ("write", "sync") for err in ("EIO", "ENOSPC")
           for mode in ("once", "persist")]
if SANITIZED:
    # Under ASan a process costs ~130 ms, and this sweep was a third of the sanitized tests'
    # time. Half the configurations, paired so that each error still meets each operation and
    # each mode, every k still swept; the release build runs all eight.
    CONFIGS = [("write", "EIO", "once"), ("write", "ENOSPC", "persist"),
               ("sync", "ENOSPC", "once"), ("sync", "EIO", "persist")]
MAX_K = 400  # a safety stop; each operation here completes after far fewer calls


class Figures(dict):
    def add(self, key, n=1):
        self[key] = self.get(key, 0) + n


@unittest.skipUnless(SHIM and os.path.exists(SHIM), "fault shim not built")
class IoErrorSweep(GlassboxCase):
    def setUp(self):
        super().setUp()
        self.run_gb("record", "cli_event", "--field", "command=seed")
        self.fig = Figures(runs=0, injected=0, crashes=0, hangs=0, corruptions=0,
                           failed_runs=0, errors_surfaced=0, acknowledged_lost=0,
                           reported_but_stored=0)
        self.counter = 0

    def fault_env(self, target_dir, ops, k, mode, err):
        self.counter += 1
        report = os.path.join(self.dir, f"report-{self.counter}")
        env = dict(self.env, LD_PRELOAD=SHIM, GBFAULT_PATH=target_dir, GBFAULT_OPS=ops,
                   GBFAULT_K=str(k), GBFAULT_MODE=mode, GBFAULT_ERRNO=err,
                   GBFAULT_REPORT=report)
        if SANITIZED:
            env["ASAN_OPTIONS"] = "verify_asan_link_order=0"
        return env, report

    def run_faulty(self, cmd, env):
        """Runs `cmd` under the shim; returns CompletedProcess, or None when it hung."""
        self.fig.add("runs")
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        except subprocess.TimeoutExpired:
            self.fig.add("hangs")
            return None
        if proc.returncode < 0 or "Sanitizer" in proc.stderr or "internal error" in proc.stderr:
            self.fig.add("crashes")
            print(f"CRASH {cmd}: rc={proc.returncode} {proc.stderr[-500:]}")
        return proc

    def stored_commands(self, journal):
        """The `command`/`sub_command` of every stored event, after the fault is lifted; counts
        a corruption when the journal does not pass integrity_check or cannot be read."""
        if os.path.exists(journal) and integrity_check(journal) != "ok":
            self.fig.add("corruptions")
            print(f"CORRUPT {journal}: {integrity_check(journal)}")
            return set()
        proc = subprocess.run([BIN, "--journal", journal, "inspect", "events", "--format",
                               "ndjson"], capture_output=True, text=True, env=self.env)
        if proc.returncode != 0:
            self.fig.add("corruptions")
            print(f"UNREADABLE {journal}: {proc.stderr}")
            return set()
        events = [json.loads(line) for line in proc.stdout.splitlines() if line]
        return {e["data"].get("sub_command") or e["data"]["command"] for e in events}

    def sweep(self, one_run):
        for ops, err, mode in CONFIGS:
            for k in range(1, MAX_K + 1):
                if not one_run(ops, k, mode, err):
                    break  # completed without reaching the k-th call: this config is done
            else:
                self.fail(f"{ops}/{err}/{mode}: still injecting at k={MAX_K}")

    def cli_record(self, journal, ops, k, mode, err):
        """One `glassbox record` under the shim; returns whether a fault was injected."""
        name = f"cli-{self.counter + 1}"
        env, report = self.fault_env(os.path.dirname(journal), ops, k, mode, err)
        proc = self.run_faulty([BIN, "--journal", journal, "record", "cli_event",
                                "--field", f"command={name}"], env)
        injected = os.path.exists(report)
        self.fig.add("injected", int(injected))
        stored = name in self.stored_commands(journal)
        if proc is None:
            return injected
        if proc.returncode == 0 and not stored:
            self.fig.add("acknowledged_lost")
        if proc.returncode != 0:
            self.fig.add("failed_runs")
            lines = proc.stderr.strip().splitlines()
            if len(lines) == 1 and lines[0].startswith("glassbox: ") and proc.returncode in (
                    74, 75):
                self.fig.add("errors_surfaced")
            else:
                print(f"UNCLEAR rc={proc.returncode}: {proc.stderr!r}")
            if stored:
                self.fig.add("reported_but_stored")
        return injected

    def api_record(self, journal, ops, k, mode, err, extra=()):
        """Three Record() calls in one host process under the shim."""
        tag = f"api{self.counter + 1}"
        env, report = self.fault_env(os.path.dirname(journal), ops, k, mode, err)
        proc = self.run_faulty([DRIVER, journal, "--count", "3", "--tag", tag, *extra], env)
        injected = os.path.exists(report)
        self.fig.add("injected", int(injected))
        stored = self.stored_commands(journal)
        if proc is None:
            return injected
        acked = len(proc.stdout.split())
        errors = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
        opened = "open error: " not in proc.stderr
        mine = {s for s in stored if s.startswith(tag + "-")}
        if len(mine) < acked:
            self.fig.add("acknowledged_lost", acked - len(mine))
        if opened:
            counters = proc.stderr.strip().splitlines()[-1]
            self.fig.add("failed_runs", len(errors))
            # A failed Record() is an error Status and a counted drop, one for one.
            if f"dropped={len(errors)}" in counters and acked + len(errors) == 3:
                self.fig.add("errors_surfaced", len(errors))
            else:
                print(f"UNCOUNTED {proc.stderr!r}")
            self.fig.add("reported_but_stored", max(0, len(mine) - acked))
        else:
            self.fig.add("failed_runs")
            self.fig.add("errors_surfaced", int(proc.returncode == 2))
        return injected

    def finish(self, name):
        print_figures(f"I/O error sweep ({name})", self.fig)
        self.assertGreater(self.fig["injected"], 10)
        self.assertGreater(self.fig["failed_runs"], 0)
        self.assertEqual(self.fig["crashes"], 0)
        self.assertEqual(self.fig["hangs"], 0)
        self.assertEqual(self.fig["corruptions"], 0)
        self.assertEqual(self.fig["acknowledged_lost"], 0)
        self.assertEqual(self.fig["errors_surfaced"], self.fig["failed_runs"])
        # And after all that, recording works again.
        self.run_gb("record", "cli_event", "--field", "command=after")

    def test_cli_record_into_an_existing_journal(self):
        self.sweep(lambda *c: self.cli_record(self.journal, *c))
        self.finish("cli record, existing journal")

    def test_cli_record_creating_a_journal(self):
        def fresh(*c):
            journal = os.path.join(self.dir, f"new{self.counter + 1}", "journal.db")
            return self.cli_record(journal, *c)
        self.sweep(fresh)
        self.finish("cli record, new journal")

    def test_api_record(self):
        self.sweep(lambda *c: self.api_record(self.journal, *c))
        self.finish("C++ API Record")

    def test_api_record_full_durability(self):
        self.sweep(lambda *c: self.api_record(self.journal, *c, extra=("--full-durability",)))
        self.finish("C++ API Record, full_durability")
