"""Helpers for the replay end-to-end tests: a collector per test, configs, bulk recording,
and the checks every replay test ends with (exactly once, ledger = bodies received)."""
import hashlib
import json
import os

from collector import Collector
from harness import GlassboxCase


class ReplayCase(GlassboxCase):
    def setUp(self):
        super().setUp()
        self.collector = Collector().start()
        self.addCleanup(self.collector.stop)
        self.recorded = []  # event ids, in recording order
        self.env["TZ"] = "UTC"
        for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):  # loopback only
            self.env.pop(var, None)
            self.env.pop(var.upper(), None)

    def write_config(self, endpoint=None, **upload):
        """Writes the config at the default path; values are TOML literals given as Python."""
        upload.setdefault("endpoint", endpoint or self.collector.url)
        upload.setdefault("backoff_base", "1ms")  # the next run is never held back by backoff
        upload.setdefault("backoff_max", "2ms")
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "glassbox", "config.toml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        lines = ["[upload]"] + [f"{k} = {toml(v)}" for k, v in upload.items()]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def record(self, n, env=None):
        """Records n cli_event events in one process; remembers their ids."""
        start = len(self.recorded)
        lines = "".join(json.dumps({"schema": "cli_event",
                                    "data": {"command": f"cmd{start + i}",
                                             "args": [f"--n={start + i}"]}}) + "\n"
                        for i in range(n))
        self.run_gb("record", "--ndjson", "-", input=lines, env=env)
        ids = [e["event_id"] for e in self.events()]
        new = [i for i in ids if i not in set(self.recorded)]
        self.recorded.extend(new)
        return new

    def replay(self, *args, env=None, timeout=60):
        return self.run_gb("replay", "--no-jitter", *args, env=env, check=False, timeout=timeout)

    def ledger(self):
        out = self.run_gb("inspect", "ledger", "--format", "json").stdout
        return json.loads(out)["entries"]

    def assert_each_recorded_event_arrived_exactly_once(self, expected=None):
        got = [e["event_id"] for e in self.collector.accepted_events()]
        self.assertEqual(sorted(got), sorted(expected if expected is not None else self.recorded))
        self.assertEqual(len(got), len(set(got)), "an event arrived in two different batches")
        self.assertEqual(self.collector.bad_keys, 0)

    def assert_ledger_matches_bodies_received(self):
        ok_rows = [r for r in self.ledger() if r["kind"] == "upload" and
                   r["result"].startswith("http 2")]
        self.assertTrue(ok_rows)
        for row in ok_rows:
            body = self.collector.batches.get(row["sha256"])
            self.assertIsNotNone(body, f"ledger row {row['id']}: no such body at the collector")
            self.assertEqual(hashlib.sha256(body).hexdigest(), row["sha256"])
            self.assertEqual(len(body), row["bytes"])
            self.assertEqual(len(body.splitlines()), row["events"])
        self.assertEqual(sorted(r["sha256"] for r in ok_rows), sorted(self.collector.batches))


def toml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml(x)}" for k, x in v.items()) + " }"
    return json.dumps(v)
