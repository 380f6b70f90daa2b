"""A damaged journal (flipped bytes, truncated file, zeroed header, foreign / damaged /
truncated WAL) is detected; the host application keeps recording; glassbox moves the damaged
file aside (0600), salvages what still decodes into a fresh journal and reports it in
`glassbox doctor`. Figures per kind: scenarios, detected, salvaged, lost, host failures and
undetected changes (must be 0)."""
import json
import os
import random
import shutil
import sqlite3
import stat
import subprocess

from drivers import DRIVER, integrity_check, kill_round, print_figures
from harness import GlassboxCase
from rel import size

EVENTS = 1500


class CorruptionTest(GlassboxCase):
    def setUp(self):
        super().setUp()
        self.figures = {}

    # -- building and damaging journals ---------------------------------------------------

    def fresh(self, name):
        self.journal = os.path.join(self.dir, name, "journal.db")
        return self.journal

    def build_closed(self, name):
        """A journal closed cleanly (its WAL checkpointed away) holding EVENTS events."""
        journal = self.fresh(name)
        subprocess.run([DRIVER, journal, "--count", str(EVENTS), "--tag", name,
                        "--span-every", "50"], check=True, capture_output=True, env=self.env)
        return journal

    def build_killed(self, name, acks=EVENTS):
        """A journal whose writer was killed: recent commits live only in its WAL."""
        journal = self.fresh(name)
        kill_round(journal, self.env, name, acks, random.Random(1))
        self.assertGreater(os.path.getsize(journal + "-wal"), 32)
        return journal

    def snapshot(self):
        """What a person would see: every stored line and the state counts."""
        lines = sorted(self.run_gb("inspect", "events", "--format", "ndjson").stdout.splitlines())
        by_state = json.loads(self.run_gb("inspect", "--format", "json").stdout)["by_state"]
        return lines, by_state

    # -- what every damaged journal must show ---------------------------------------------

    def check_survives(self, kind, before_ids, expect_detected=True, before=None):
        """The host records, doctor repairs and reports, and the result is intact."""
        fig = self.figures.setdefault(kind, {"scenarios": 0, "detected": 0, "salvaged": 0,
                                             "lost": 0, "host_failures": 0,
                                             "undetected_changes": 0})
        fig["scenarios"] += 1
        host = subprocess.run([DRIVER, self.journal, "--count", "5", "--tag", "host"],
                              capture_output=True, text=True, env=self.env, timeout=120)
        cli = self.run_gb("record", "cli_event", "--field", "command=cli-after", check=False)
        if host.returncode != 0 or len(host.stdout.split()) != 5 or cli.returncode != 0:
            fig["host_failures"] += 1
            print(f"HOST FAILED {kind}: {host.stderr} {cli.stderr}")
        doctor = self.run_gb("doctor", "--format", "json", check=False)
        self.assertEqual(doctor.returncode, 0, doctor.stderr)
        report = json.loads(doctor.stdout)
        self.assertTrue(report["healthy"], report)
        self.assertEqual(integrity_check(self.journal), "ok")
        detected = bool(report["recoveries"])
        fig["detected"] += detected
        for aside in report["set_aside"]:
            self.assertEqual(aside["mode"], "0600", aside)
        if detected:
            self.assertTrue(report["set_aside"], report)
            fig["salvaged"] += sum(r["salvaged_events"] for r in report["recoveries"])
        stored = {json.loads(l)["event_id"] for l in
                  self.run_gb("inspect", "events", "--format", "ndjson").stdout.splitlines()}
        fig["lost"] += len(before_ids - stored)
        if expect_detected and not detected:
            print(f"UNDETECTED {kind}: {report}")
        if not detected and before is not None:
            # Nothing was reported, so nothing may have changed.
            lines, by_state = before
            now_lines = set(self.run_gb("inspect", "events", "--format",
                                        "ndjson").stdout.splitlines())
            if not set(lines) <= now_lines:
                fig["undetected_changes"] += 1
                print(f"UNDETECTED CHANGE {kind}")
        return detected

    def stored_ids(self):
        return {json.loads(l)["event_id"] for l in
                self.run_gb("inspect", "events", "--format", "ndjson").stdout.splitlines()}

    # -- the kinds of damage ----------------------------------------------------------------

    def test_zeroed_header_is_recovered_with_everything_salvaged(self):
        journal = self.build_closed("zero")
        ids = self.stored_ids()
        with open(journal, "r+b") as f:
            f.write(b"\0" * 100)
        self.assertTrue(self.check_survives("zeroed header", ids))
        self.assertEqual(self.figures["zeroed header"]["lost"], 0)
        # The recovery's ledger row names the damage and the moved file: the text view shows
        # it whole (it was cut at 160 bytes a line).
        entries = json.loads(self.run_gb("inspect", "ledger", "--format", "json").stdout)
        recovery = [e for e in entries["entries"] if e["kind"] == "recovery"]
        self.assertEqual(len(recovery), 1)
        self.assertGreater(len(recovery[0]["result"]), 160)
        self.assertIn(recovery[0]["result"] + "\n", self.run_gb("inspect", "ledger").stdout)
        self.finish()

    def test_consent_and_install_id_survive_recovery(self):
        journal = self.build_closed("consent")
        install = self.events()[0]["context"]["install_id"]
        con = sqlite3.connect(journal)
        con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('consent', 'local')")
        con.commit()
        con.close()
        with open(journal, "r+b") as f:
            f.write(b"\0" * 100)
        self.run_gb("record", "cli_event", "--field", "command=x")
        report = json.loads(self.run_gb("doctor", "--format", "json").stdout)
        self.assertEqual(len(report["recoveries"]), 1)
        self.assertEqual(report["consent"]["effective"], "local")
        self.assertEqual({e["context"]["install_id"] for e in self.events()}, {install})
        self.assertEqual(report["events"]["local"], 1)  # recorded after recovery: local only

    def test_truncated_file_is_detected_and_partly_salvaged(self):
        for fraction in (0.9, 0.5, 0.2)[:size(3, 3)]:
            journal = self.build_closed(f"trunc{int(fraction * 100)}")
            ids = self.stored_ids()
            os.truncate(journal, int(os.path.getsize(journal) * fraction) // 4096 * 4096 + 1000)
            self.assertTrue(self.check_survives("truncated file", ids))
        self.assertGreater(self.figures["truncated file"]["salvaged"], 0)
        self.finish()

    def test_flipped_bytes_are_detected_or_harmless(self):
        rng = random.Random(int(os.environ.get("GLASSBOX_SEED", "11")))
        for n in range(size(6, 100)):
            journal = self.build_closed(f"flip{n}")
            before = self.snapshot()
            ids = self.stored_ids()
            with open(journal, "r+b") as f:
                data = bytearray(f.read())
                for _ in range(8):
                    at = rng.randrange(100, len(data))
                    data[at] ^= 0xFF
                f.seek(0)
                f.write(data)
            self.check_survives("flipped bytes", ids, expect_detected=False, before=before)
        self.assertGreater(self.figures["flipped bytes"]["detected"], 0)
        self.finish(strict=False)

    def test_foreign_wal_is_detected(self):
        """The WAL of another, younger journal (it carries that journal's identity)."""
        other = self.build_killed("other", acks=100)
        self.check_foreign_wal(other + "-wal")

    def test_wal_of_another_database_is_detected(self):
        """The WAL of some other SQLite database (it replaces the schema)."""
        path = os.path.join(self.dir, "alien.db")
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("CREATE TABLE t(x TEXT)")
        for i in range(50):
            con.execute("INSERT INTO t VALUES (?)", ("alien" * 100,))
        shutil.copy(path + "-wal", os.path.join(self.dir, "alien-wal"))
        con.close()
        self.check_foreign_wal(os.path.join(self.dir, "alien-wal"))

    def check_foreign_wal(self, wal):
        kept = os.path.join(self.dir, "foreign-wal")
        shutil.copy(wal, kept)
        journal = self.build_killed("mine")
        ids = self.stored_ids_without_recovery(journal)
        shutil.copy(kept, journal + "-wal")
        if os.path.exists(journal + "-shm"):
            os.remove(journal + "-shm")
        self.assertTrue(self.check_survives("foreign WAL", ids))
        tags = {e["data"].get("sub_command", "").split("-")[0] for e in self.events()}
        self.assertEqual(tags - {"", "host", "mine"}, set())  # nothing foreign passes as ours
        self.finish()

    def test_damaged_wal_header_is_detected(self):
        journal = self.build_killed("walhdr")
        ids = self.stored_ids_without_recovery(journal)
        with open(journal + "-wal", "r+b") as f:
            f.write(os.urandom(32))
        os.remove(journal + "-shm")
        self.check_survives("damaged WAL header", ids)
        self.finish()

    def test_truncated_wal_keeps_an_intact_prefix(self):
        """A WAL cut at a frame boundary is indistinguishable from a crash before those commits
        (what power loss can do under synchronous=NORMAL): the journal opens at the last intact
        commit. The figure `lost` shows what the cut WAL held."""
        journal = self.build_killed("waltrunc")
        ids = self.stored_ids_without_recovery(journal)
        os.truncate(journal + "-wal", os.path.getsize(journal + "-wal") // 2)
        os.remove(journal + "-shm")
        self.check_survives("truncated WAL", ids, expect_detected=False)
        self.finish(strict=False)

    def stored_ids_without_recovery(self, journal):
        """The ids in a killed journal, read from a copy so the original WAL stays as it is."""
        copy = os.path.join(self.dir, "copy", "journal.db")
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        for suffix in ("", "-wal"):
            shutil.copy(journal + suffix, copy + suffix)
        out = subprocess.run([self.bin(), "--journal", copy, "inspect", "events", "--format",
                              "ndjson"], capture_output=True, text=True, env=self.env, check=True)
        shutil.rmtree(os.path.dirname(copy))
        return {json.loads(l)["event_id"] for l in out.stdout.splitlines()}

    @staticmethod
    def bin():
        from harness import BIN
        return BIN

    def finish(self, strict=True):
        for kind, fig in self.figures.items():
            print_figures(f"corruption: {kind}", fig)
            self.assertEqual(fig["host_failures"], 0, kind)
            self.assertEqual(fig["undetected_changes"], 0, kind)
            if strict:
                self.assertEqual(fig["detected"], fig["scenarios"], kind)
        mode = stat.S_IMODE(os.stat(self.journal).st_mode)
        self.assertEqual(mode, 0o600)
