"""kill -9 while recording, and concurrent recording processes."""
import json
import random
import signal
import subprocess
import time

from harness import BIN, GlassboxCase


class DurabilityTest(GlassboxCase):
    def integrity(self):
        out = subprocess.run(["sqlite3", self.journal, "PRAGMA integrity_check"],
                             capture_output=True, text=True)
        return out.stdout.strip()

    def test_kill_9_at_random_moments_loses_no_acknowledged_event(self):
        rng = random.Random(1234)
        started = time.monotonic()
        self.run_gb("record", "cli_event", "--field", "command=warmup")
        one_run = time.monotonic() - started  # kill somewhere within ~1.5 runs' time
        acknowledged, killed = [self.events()[0]["event_id"]], 0
        for i in range(40):
            proc = subprocess.Popen(
                [BIN, "--journal", self.journal, "record", "cli_event", "--field",
                 f"command=c{i}", "--field", 'args:=["--x"]'],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
            time.sleep(rng.uniform(0, 1.5 * one_run))
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate()
            if proc.returncode == 0 and out.strip():
                acknowledged.append(out.strip())
            else:
                killed += 1
        stored = [e["event_id"] for e in self.events()]
        print(f"\nkill -9: {len(acknowledged)} acknowledged, {killed} killed before "
              f"acknowledging, {len(stored)} stored")
        self.assertEqual(self.integrity(), "ok")
        self.assertEqual(len(stored), len(set(stored)))
        self.assertEqual(sorted(set(acknowledged) - set(stored)), [])
        self.assertGreater(killed, 0)  # the test must actually interrupt some processes
        self.assertGreater(len(acknowledged), 1)

    def test_four_concurrent_processes_lose_and_duplicate_nothing(self):
        per_process = 300
        procs = []
        for p in range(4):
            lines = "".join(json.dumps({"schema": "cli_event",
                                        "data": {"command": f"p{p}", "args": [f"--n={i}"]}}) + "\n"
                            for i in range(per_process))
            proc = subprocess.Popen([BIN, "--journal", self.journal, "record", "--ndjson", "-"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=self.env)
            procs.append((proc, lines))
        for proc, lines in procs:
            out, err = proc.communicate(lines, timeout=300)
            self.assertEqual(proc.returncode, 0, err)
            self.assertIn(f"accepted {per_process}, refused 0", out)
        events = self.events()
        ids = [e["event_id"] for e in events]
        self.assertEqual(len(ids), 4 * per_process)
        self.assertEqual(len(set(ids)), len(ids))
        for p in range(4):
            mine = [e for e in events if e["data"]["command"] == f"p{p}"]
            self.assertEqual(len(mine), per_process)
        self.assertEqual(self.integrity(), "ok")
