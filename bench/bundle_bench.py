#!/usr/bin/env python3
"""Bundle throughput: export, inspect FILE.gbx, import (new and already present) and
replay --bundle, each timed as the whole glassbox process, on N realistic cli_event events.

Baselines beside them: the zstd CLI compressing (-3, export's default level) and
decompressing the same NDJSON, i.e. the cost of the container alone. Usage: bundle_bench.py GLASSBOX_BIN [--events N] [--runs R]
[--json FILE]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from collector import Collector  # noqa: E402
from replay_bench import event_lines  # noqa: E402


def timed(cmd, env, **kw):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=True, **kw)
    return time.perf_counter() - start, proc


def one_run(gb, events, lines):
    work = tempfile.mkdtemp(prefix="glassbox-bundle-bench-")
    collector = Collector(verify=False).start()
    try:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DO_NOT_TRACK", "GLASSBOX_CONSENT", "GLASSBOX_CONFIG", "GLASSBOX_JOURNAL",
                            "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")}
        env["XDG_CONFIG_HOME"] = os.path.join(work, "config")
        os.makedirs(os.path.join(work, "config", "glassbox"))
        with open(os.path.join(work, "config", "glassbox", "config.toml"), "w") as f:
            f.write(f'[upload]\nendpoint = "{collector.url}"\nmax_bytes_per_run = "1GiB"\n')
        src, relay, conn = (os.path.join(work, d, "journal.db") for d in ("src", "relay", "conn"))
        bundle = os.path.join(work, "site.gbx")
        subprocess.run([gb, "--journal", src, "record", "--ndjson", "-"], input=lines.encode(),
                       env=env, capture_output=True, check=True)
        t = {}
        t["export"], _ = timed([gb, "--journal", src, "export", "--out", bundle], env)
        t["inspect"], proc = timed([gb, "inspect", bundle, "--format", "json"], env)
        assert json.loads(proc.stdout)["events_total"] == events
        t["import"], proc = timed([gb, "--journal", relay, "import", bundle], env)
        assert f"imported {events} new" in proc.stdout.decode(), proc.stdout
        t["import_again"], proc = timed([gb, "--journal", relay, "import", bundle], env)
        assert f"{events} already present" in proc.stdout.decode(), proc.stdout
        t["replay_bundle"], _ = timed([gb, "--journal", conn, "replay", "--no-jitter", "--bundle",
                                       bundle], env)
        assert collector.wire_bytes > 0
        ndjson = subprocess.run(["zstd", "-dcq", bundle], capture_output=True, check=True).stdout
        t["zstd_-3_baseline"], packed = timed(["zstd", "-3", "-q", "-c"], env, input=ndjson)
        t["zstd_-d_baseline"], _ = timed(["zstd", "-dcq"], env, input=packed.stdout)
        return t, os.path.getsize(bundle)
    finally:
        collector.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("glassbox")
    p.add_argument("--events", type=int, default=100000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json")
    a = p.parse_args()
    lines = "".join(event_lines(a.events))
    runs = [one_run(a.glassbox, a.events, lines) for _ in range(a.runs)]
    size = runs[0][1]
    print(f"{a.events} events, bundle {size} bytes ({size / a.events:.1f} per event), "
          f"median of {a.runs} run(s), whole process each:")
    print(f"{'step':<18}{'events/s':>12}{'seconds':>10}")
    result = {"events": a.events, "runs": a.runs, "bundle_bytes": size, "steps": {}}
    for step in runs[0][0]:
        secs = statistics.median(r[0][step] for r in runs)
        result["steps"][step] = {"seconds_median": secs, "events_per_s": a.events / secs}
        print(f"{step:<18}{a.events / secs:>12,.0f}{secs:>10.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
