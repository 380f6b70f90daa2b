#!/usr/bin/env python3
"""Upload throughput and wire size: glassbox replay to the project's collector on 127.0.0.1.

Records N realistic cli_event events into a fresh journal (record --ndjson), then times
`glassbox replay` (the whole process: open, scan, build, compress, POST, mark sent) for each
compression, against a collector that only counts bytes. Baseline: the NDJSON body itself
(what compression=none sends); the wire size is also given against the journal's own size at
rest just before the replay (journal.db and any WAL). A replay of one event is timed too: the
fixed cost of a replay process, and the rate of the N events beyond it.
Usage: replay_bench.py GLASSBOX_BIN [--events N] [--runs R] [--json FILE]

--days D adds the cron steady state: each "day" records --per-day events in processes of 100
(`record --ndjson`, as hosts would), then one replay sends what is pending. Blocks then mix
yesterday's sent events with today's pending ones, and those go line by line, not as their
stored frame; the table gives each day's wire bytes per event against the journal at rest.
"""
import argparse
import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from collector import Collector  # noqa: E402

COMMANDS = ["run", "elt", "invoke", "add", "install", "config", "schedule", "test", "init"]
PLUGINS = ["tap-github", "tap-postgres", "target-postgres", "target-snowflake", "dbt-postgres",
           "tap-gitlab", "tap-salesforce", "target-jsonl"]


def event_lines(n, seed=42):
    rng = random.Random(seed)
    for i in range(n):
        plugins = rng.sample(PLUGINS, rng.randint(0, 3))
        data = {"command": rng.choice(COMMANDS),
                "args": [rng.choice(plugins) if plugins and rng.random() < .5 else
                         f"--opt-{rng.randint(0, 30)}" for _ in range(rng.randint(0, 5))],
                "plugins": [{"name": p, "variant": "meltano",
                             "config": {"start_date": f"2026-0{rng.randint(1, 9)}-01",
                                        "batch": rng.randint(1, 1000)}} for p in plugins],
                "project_config": {"project_id": f"p-{rng.randint(1, 50)}",
                                   "environments": ["dev", "prod"]}}
        yield json.dumps({"schema": "cli_event", "data": data}) + "\n"


def run(gb, env, *args):
    return subprocess.run([gb, *args], env=env, capture_output=True, text=True, check=True)


def workspace(work, collector, compression):
    """The environment of a glassbox with its own journal, uploading to `collector`."""
    env = dict(os.environ, GLASSBOX_JOURNAL=os.path.join(work, "journal.db"),
               XDG_CONFIG_HOME=os.path.join(work, "config"))
    for k in ("DO_NOT_TRACK", "GLASSBOX_CONSENT", "GLASSBOX_CONFIG", "http_proxy",
              "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    os.makedirs(os.path.join(work, "config", "glassbox"))
    with open(os.path.join(work, "config", "glassbox", "config.toml"), "w") as f:
        f.write(f'[upload]\nendpoint = "{collector.url}"\ncompression = "{compression}"\n'
                'max_bytes_per_run = "1GiB"\n')
    return env


def journal_bytes(work):
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(work, "journal.db*")))


def bench_one(gb, events, compression, runs):
    rates, sizes, seconds = [], [], []
    lines = "".join(event_lines(events))
    for _ in range(runs):
        work = tempfile.mkdtemp(prefix="glassbox-replay-bench-")
        collector = Collector(verify=False).start()
        try:
            env = workspace(work, collector, compression)
            subprocess.run([gb, "record", "--ndjson", "-"], input=lines, env=env, text=True,
                           capture_output=True, check=True)
            at_rest = journal_bytes(work)
            start = time.perf_counter()
            report = json.loads(run(gb, env, "replay", "--no-jitter", "--format", "json").stdout)
            elapsed = time.perf_counter() - start
            assert report["events"] == events, report
            assert collector.wire_bytes == report["wire_bytes"], report
            rates.append(events / elapsed)
            seconds.append(elapsed)
            sizes.append((report["wire_bytes"] / events, report["body_bytes"] / events,
                          report["batches"], at_rest / events))
        finally:
            collector.stop()
            shutil.rmtree(work, ignore_errors=True)
    wire, body, batches, rest = sizes[0]
    return {"compression": compression, "events": events, "runs": runs,
            "events_per_s_median": statistics.median(rates), "events_per_s_min": min(rates),
            "seconds_median": statistics.median(seconds),
            "wire_bytes_per_event": wire, "ndjson_bytes_per_event": body, "batches": batches,
            "at_rest_bytes_per_event": rest}


def bench_days(gb, days, per_day):
    """Record a day's events in processes of 100, replay, repeat; wire vs at rest per day."""
    lines = list(event_lines(days * per_day, seed=7))
    work = tempfile.mkdtemp(prefix="glassbox-replay-days-")
    collector = Collector(verify=False).start()
    rows = []
    try:
        env = workspace(work, collector, "zstd")
        for day in range(days):
            today = lines[day * per_day:(day + 1) * per_day]
            for i in range(0, len(today), 100):
                subprocess.run([gb, "record", "--ndjson", "-"], input="".join(today[i:i + 100]),
                               env=env, text=True, capture_output=True, check=True)
            at_rest = journal_bytes(work) / ((day + 1) * per_day)
            report = json.loads(run(gb, env, "replay", "--no-jitter", "--format", "json").stdout)
            assert report["events"] == len(today), report
            rows.append({"day": day + 1, "events": report["events"], "batches": report["batches"],
                         "wire_bytes": report["wire_bytes"], "at_rest_bytes_per_event": at_rest})
    finally:
        collector.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'day':>4}{'sent':>8}{'batches':>9}{'wire B/event':>14}{'at rest B/event':>17}"
          f"{'wire/at rest':>14}")
    for r in rows:
        wire = r["wire_bytes"] / r["events"]
        print(f"{r['day']:>4}{r['events']:>8}{r['batches']:>9}{wire:>14.1f}"
              f"{r['at_rest_bytes_per_event']:>17.1f}{wire / r['at_rest_bytes_per_event']:>13.2f}x")
    steady = rows[2:] or rows  # the first days' journals are mostly SQLite's fixed pages
    wire = sum(r["wire_bytes"] for r in steady) / sum(r["events"] for r in steady)
    rest = rows[-1]["at_rest_bytes_per_event"]
    print(f"(a replay after each day's {per_day} events, recorded 100 per process; from day "
          f"{steady[0]['day']}: wire {wire:.1f} B/event = {wire / rest:.2f}x the journal at rest)")
    return {"days": rows, "steady_wire_bytes_per_event": wire, "at_rest_bytes_per_event": rest}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("glassbox")
    p.add_argument("--events", type=int, default=20000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json")
    p.add_argument("--days", type=int, default=0)
    p.add_argument("--per-day", type=int, default=5000)
    a = p.parse_args()
    results = [bench_one(a.glassbox, a.events, c, a.runs) for c in ("zstd", "gzip", "none")]
    print(f"{'compression':<12}{'events/s (median)':>20}{'wire B/event':>14}"
          f"{'NDJSON B/event':>16}{'ratio':>8}{'batches':>9}{'at rest B/event':>17}"
          f"{'wire/at rest':>14}")
    for r in results:
        print(f"{r['compression']:<12}{r['events_per_s_median']:>20,.0f}"
              f"{r['wire_bytes_per_event']:>14.1f}{r['ndjson_bytes_per_event']:>16.1f}"
              f"{r['ndjson_bytes_per_event'] / r['wire_bytes_per_event']:>7.1f}x"
              f"{r['batches']:>9}{r['at_rest_bytes_per_event']:>17.1f}"
              f"{r['wire_bytes_per_event'] / r['at_rest_bytes_per_event']:>13.2f}x")
    print(f"({a.events} events per run, {a.runs} runs, loopback HTTP/1.1 keep-alive; "
          "the whole `glassbox replay` process is timed)")
    # What a replay process costs before its first event (start-up, libcurl, opening the
    # journal), apart from how fast it sends: on a slow VM the first dominates small runs.
    one = bench_one(a.glassbox, 1, "zstd", a.runs)
    zstd = results[0]
    beyond = (a.events - 1) / max(zstd["seconds_median"] - one["seconds_median"], 1e-9)
    print(f"a replay of one event (zstd): {one['seconds_median'] * 1000:.1f} ms, median of "
          f"{a.runs}; the other {a.events - 1} events went at {beyond:,.0f} events/s")
    fixed = {"one_event_seconds_median": one["seconds_median"], "events_per_s_beyond": beyond}
    days = bench_days(a.glassbox, a.days, a.per_day) if a.days else None
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": results, "fixed_cost": fixed, "cron": days}, f, indent=2)


if __name__ == "__main__":
    main()
