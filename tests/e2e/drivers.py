"""Helpers that run gb_record_driver (a host application using the C++ API) against a journal:
killing it at random moments, running several at once, and checking what the journal holds."""
import collections
import json
import os
import signal
import sqlite3
import subprocess
import threading

DRIVER = os.environ.get("GLASSBOX_DRIVER", "gb_record_driver")


def integrity_check(journal):
    """SQLite's own verdict on the file ('ok' when intact)."""
    con = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        return "; ".join(row[0] for row in con.execute("PRAGMA integrity_check"))
    finally:
        con.close()


def start_driver(journal, env, *args):
    return subprocess.Popen([DRIVER, journal, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)


def kill_round(journal, env, tag, target_acks, rng):
    """Runs one driver until it has acknowledged `target_acks` events (or a random timer fires),
    kills it with SIGKILL, and returns every id it acknowledged before it died."""
    proc = start_driver(journal, env, "--tag", tag, "--span-every", "7")
    timer = threading.Timer(rng.uniform(0.05, 1.5), lambda: _kill(proc))
    timer.start()
    acked = []
    try:
        for line in proc.stdout:
            acked.append(line.strip())
            if len(acked) >= target_acks:
                break
        _kill(proc)
        acked.extend(line.strip() for line in proc.stdout.read().splitlines())
    finally:
        timer.cancel()
        proc.wait()
        proc.stderr.close()
        proc.stdout.close()
    return [a for a in acked if a]


def _kill(proc):
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stored_events(case):
    """Every stored event (via the CLI, as it would be sent)."""
    return case.events()


def duplicates(events):
    """Number of stored events that repeat an event_id or (for single events) a driver record."""
    ids = collections.Counter(e["event_id"] for e in events)
    keys = collections.Counter(e["data"].get("sub_command") for e in events
                               if e["phase"] == "single")
    return sum(n - 1 for n in ids.values()) + sum(n - 1 for n in keys.values())


def run_concurrently(journal, env, processes, count, extra=()):
    """Starts `processes` drivers at once, each recording `count` events; returns
    [(returncode, [(id, latency_us)], stderr)] per process."""
    procs = [start_driver(journal, env, "--count", str(count), "--tag", f"p{i}", "--latency",
                          *extra) for i in range(processes)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        rows = [line.split() for line in out.splitlines() if line.strip()]
        results.append((p.returncode, [(r[0], int(r[1])) for r in rows], err))
    return results


def percentile(sorted_values, q):
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def print_figures(name, figures):
    """One machine-readable line per test, printed and appended to $GLASSBOX_FIGURES (CI shows
    that file, since ctest hides the output of passing tests)."""
    line = f"FIGURES {name}: {json.dumps(figures, sort_keys=True)}"
    print("\n" + line, flush=True)
    path = os.environ.get("GLASSBOX_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
