"""16 host processes record into one journal at once while `glassbox inspect` reads it in a
loop: every acknowledged event is stored exactly once, no call fails with "busy" (waits stay
within the busy timeout), and the record latency is printed (p50, p99, max). Short form
16 x 500, long form 16 x 10,000."""
import json
import threading
import time

from drivers import duplicates, integrity_check, percentile, print_figures, run_concurrently
from harness import BIN, GlassboxCase
from rel import size

import subprocess

PROCESSES = 16


class LoadTest(GlassboxCase):
    def test_sixteen_recorders_with_inspect_running(self):
        per_process = size(500, 10000)
        self.run_gb("record", "cli_event", "--field", "command=seed")  # create it first
        stop = threading.Event()
        inspect = {"runs": 0, "failures": 0}

        def inspect_loop():
            while not stop.is_set():
                for args in (["inspect", "--format", "json"],
                             ["inspect", "events", "--format", "ndjson", "--limit", "200"]):
                    p = subprocess.run([BIN, "--journal", self.journal, *args],
                                       capture_output=True, text=True, env=self.env)
                    inspect["runs"] += 1
                    if p.returncode != 0:
                        inspect["failures"] += 1
                        print(f"INSPECT FAILED: {p.stderr.strip()}")

        reader = threading.Thread(target=inspect_loop)
        reader.start()
        start = time.monotonic()
        try:
            results = run_concurrently(self.journal, self.env, PROCESSES, per_process,
                                       extra=("--span-every", "100"))
        finally:
            stop.set()
            reader.join()
        seconds = time.monotonic() - start
        acked, latencies, failed_calls = [], [], 0
        for code, rows, err in results:
            failed_calls += sum(1 for l in err.splitlines() if l.startswith("error: "))
            if code != 0:
                print(f"RECORDER FAILED: {err[-500:]}")
            acked += [event_id for event_id, _ in rows]
            latencies += [us for _, us in rows]
        events = self.events()
        stored = {e["event_id"] for e in events}
        latencies.sort()
        figures = {
            "processes": PROCESSES, "per_process": per_process, "acknowledged": len(acked),
            "failed_calls": failed_calls, "lost": len(set(acked) - stored),
            "duplicates": duplicates(events), "inspect_runs": inspect["runs"],
            "inspect_failures": inspect["failures"], "seconds": round(seconds, 1),
            "events_per_s": round(len(acked) / seconds),
            "latency_ms": {"p50": percentile(latencies, 0.5) / 1000,
                           "p99": percentile(latencies, 0.99) / 1000,
                           "max": latencies[-1] / 1000 if latencies else 0},
        }
        print_figures("16 processes with inspect", figures)
        self.assertEqual(failed_calls, 0)
        self.assertEqual(len(acked), PROCESSES * per_process)
        self.assertEqual(figures["lost"], 0)
        self.assertEqual(figures["duplicates"], 0)
        self.assertEqual(inspect["failures"], 0)
        self.assertGreater(inspect["runs"], 0)
        self.assertEqual(integrity_check(self.journal), "ok")
        summary = json.loads(self.run_gb("inspect", "--format", "json").stdout)
        # Spans add a started event per completed one; the seed is one more.
        self.assertEqual(summary["events_total"], len(events))
