"""measure.py REPORT CMD...: runs CMD and writes "returncode milliseconds peak_rss_kb" to REPORT.

A process's peak RSS includes what it inherited before exec (Linux keeps the high-water mark
across exec), so a test that holds 100 MB cannot measure its children directly; this small,
freshly started process forks them instead."""
import os
import sys
import time

report, cmd = sys.argv[1], sys.argv[2:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(cmd[0], cmd)
_, status, usage = os.wait4(pid, 0)
ms = (time.monotonic() - start) * 1000
with open(report, "w", encoding="ascii") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {ms:.0f} {usage.ru_maxrss}\n")
