#!/usr/bin/env python3
"""Recording overhead side by side: the C++ and C APIs (bench/embed_bench), the Python package,
and one `glassbox record` process per event (what a host pays that shells out).

Usage: python_overhead.py --bin BUILD/cli/glassbox --library BUILD/capi/libglassbox.so.0
                          --embed-bench BUILD/bench/embed_bench [--events N] [--runs R]
                          [--processes P]

Every figure is the median of R runs, each on a fresh journal: wall time and CPU time (user +
system; steadier on a busy machine). The process figure includes process start, opening the
journal and loading the schemas: the per-invocation cost.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))

EVENT = {"command": "run", "args": ["tap-github", "target-postgres", "--full-refresh"],
         "plugins": [{"name": "tap-github", "variant": "meltano",
                      "config": {"repository": "acme/app"}}],
         "settings": {"TOKEN": "not-stored"}}


def python_run(library, journal, events):
    import glassbox
    rec = glassbox.Recorder(journal, library=library, errors="raise")
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(events):
        rec.record("cli_event", EVENT)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    rec.close()
    return took / events * 1e6, cpu / events * 1e6


def process_run(binary, journal, processes):
    import json
    cmd = [binary, "--journal", journal, "record", "cli_event", "--data", json.dumps(EVENT)]
    subprocess.run(cmd, check=True, capture_output=True)  # creates the journal: not timed
    def children_cpu():
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime
    start, cpu = time.perf_counter(), children_cpu()
    for _ in range(processes):
        subprocess.run(cmd, check=True, capture_output=True)
    took, cpu = time.perf_counter() - start, children_cpu() - cpu
    return took / processes * 1e6, cpu / processes * 1e6


def median_of(runs, fn, *args):
    """(median wall, median CPU) over `runs` runs of fn, each on a fresh journal."""
    walls, cpus = [], []
    for _ in range(runs):
        work = tempfile.mkdtemp(prefix="glassbox-pybench-")
        try:
            wall, cpu = fn(*args[:-1], os.path.join(work, "journal.db"), args[-1])
        finally:
            shutil.rmtree(work, ignore_errors=True)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def embed_bench(path, events, runs):
    out = subprocess.run([path, str(events), str(runs)], check=True, capture_output=True,
                         text=True).stdout
    return {line.split()[1]: (float(line.split()[2]), float(line.split()[3]))
            for line in out.splitlines() if line.startswith("median_us ")}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--library", required=True)
    p.add_argument("--embed-bench")
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--processes", type=int, default=50)
    a = p.parse_args()
    for var in ("DO_NOT_TRACK", "GLASSBOX_CONSENT", "GLASSBOX_JOURNAL"):
        os.environ.pop(var, None)
    rows = []
    if a.embed_bench:
        native = embed_bench(a.embed_bench, a.events, a.runs)
        rows += [("C++ API  Recorder::Record", *native["cxx"]),
                 ("C API    glassbox_record", *native["c"])]
    rows.append(("Python   Recorder.record", *median_of(a.runs, python_run, a.library, a.events)))
    rows.append(("process  glassbox record",
                 *median_of(a.runs, process_run, a.bin, a.processes)))
    base = rows[0][2]
    print(f"median of {a.runs} runs; {a.events} events per run in-process, "
          f"{a.processes} processes per run")
    print(f"{'path':28} {'wall us/event':>14} {'CPU us/event':>13} {'CPU x first':>12}")
    for name, wall, cpu in rows:
        print(f"{name:28} {wall:14.1f} {cpu:13.1f} {cpu / base:12.1f}")


if __name__ == "__main__":
    main()
