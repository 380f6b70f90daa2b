"""16 host processes record into one journal at once while `glassbox inspect` and `glassbox
replay` (to a collector on 127.0.0.1) run in a loop: every acknowledged event is stored
exactly once and arrives at the collector exactly once (stored equals sent), no call fails
with "busy" (waits stay within the busy timeout), and the record latency is printed (p50,
p99, max). Short form 16 x 500, long form 16 x 10,000."""
import json
import subprocess
import threading
import time

from drivers import duplicates, integrity_check, percentile, print_figures, run_concurrently
from harness import BIN
from rel import size
from replay_helpers import ReplayCase

PROCESSES = 16


class LoadTest(ReplayCase):
    def readers_loop(self, stop, figures):
        """inspect (summary, events) and replay, over and over, until `stop`."""
        commands = (["inspect", "--format", "json"],
                    ["inspect", "events", "--format", "ndjson", "--limit", "200"],
                    ["replay", "--no-jitter"])
        while not stop.is_set():
            for args in commands:
                p = subprocess.run([BIN, "--journal", self.journal, *args], capture_output=True,
                                   text=True, env=self.env)
                kind = args[0]
                figures[f"{kind}_runs"] += 1
                # replay exits 75 when it deferred or a transient failure left events pending.
                if p.returncode not in ((0, 75) if kind == "replay" else (0,)):
                    figures[f"{kind}_failures"] += 1
                    print(f"{kind.upper()} FAILED ({p.returncode}): {p.stderr.strip()}")

    def test_sixteen_recorders_with_inspect_and_replay_running(self):
        per_process = size(500, 10000)
        self.write_config(max_batch_events=500)
        self.run_gb("record", "cli_event", "--field", "command=seed")  # create it first
        stop = threading.Event()
        readers = {"inspect_runs": 0, "inspect_failures": 0, "replay_runs": 0,
                   "replay_failures": 0}
        reader = threading.Thread(target=self.readers_loop, args=(stop, readers))
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
        for _ in range(20):  # send what is still pending
            if self.replay().returncode == 0 and not self.events(state="pending"):
                break
        events = self.events()
        stored = {e["event_id"] for e in events}
        sent = [e["event_id"] for e in self.collector.accepted_events()]
        latencies.sort()
        figures = {
            "processes": PROCESSES, "per_process": per_process, "acknowledged": len(acked),
            "failed_calls": failed_calls, "lost": len(set(acked) - stored),
            "duplicates": duplicates(events), "stored": len(stored), "sent": len(sent),
            "sent_twice": len(sent) - len(set(sent)), **readers,
            "seconds": round(seconds, 1), "events_per_s": round(len(acked) / seconds),
            "latency_ms": {"p50": percentile(latencies, 0.5) / 1000,
                           "p99": percentile(latencies, 0.99) / 1000,
                           "max": latencies[-1] / 1000 if latencies else 0},
        }
        print_figures("16 processes with inspect and replay", figures)
        self.assertEqual(failed_calls, 0)
        self.assertEqual(len(acked), PROCESSES * per_process)
        self.assertEqual(figures["lost"], 0)
        self.assertEqual(figures["duplicates"], 0)
        self.assertEqual(readers["inspect_failures"], 0)
        self.assertEqual(readers["replay_failures"], 0)
        self.assertGreater(readers["inspect_runs"], 0)
        self.assertEqual(sorted(set(sent)), sorted(stored))  # stored equals sent
        self.assertEqual(figures["sent_twice"], 0)
        self.assertEqual(integrity_check(self.journal), "ok")
        summary = json.loads(self.run_gb("inspect", "--format", "json").stdout)
        self.assertEqual(summary["events_total"], len(events))
        self.assertEqual(summary["by_state"]["sent"], len(events))
