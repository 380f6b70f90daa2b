"""A full disk: the file-size limit (ulimit -f, with SIGXFSZ ignored) and a small tmpfs.
Events are accepted until the limit; every refused event is an error and a counted drop
(dropped == refused); the journal stays intact; recording resumes when space returns.
Figures: accepted, refused, dropped, integrity, resumed."""
import os
import resource
import signal
import subprocess
import unittest

from drivers import DRIVER, integrity_check, print_figures
from harness import BIN, GlassboxCase

COUNT = 3000


def limit_file_size(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    return apply


class DiskFullTest(GlassboxCase):
    def record_until_full(self, preexec=None, count=COUNT):
        """Runs the host driver; returns (acknowledged ids, refused, dropped counter)."""
        proc = subprocess.run([DRIVER, self.journal, "--count", str(count), "--tag", "full",
                               "--text-bytes", "240"], capture_output=True, text=True,
                              env=self.env, preexec_fn=preexec, timeout=600)
        self.assertGreaterEqual(proc.returncode, 0, proc.stderr)  # no crash, no signal
        acked = proc.stdout.split()
        errors = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
        counters = proc.stderr.strip().splitlines()[-1]
        dropped = int(counters.split("dropped=")[1].split()[0])
        return acked, errors, dropped

    def check_full(self, name, acked, errors, dropped):
        stored = {e["event_id"] for e in self.events()}
        integrity = integrity_check(self.journal)
        # Space is back: the same host records again.
        again, again_errors, _ = self.record_until_full(count=50)
        figures = {"accepted": len(acked), "refused": len(errors), "dropped": dropped,
                   "acknowledged_lost": len(set(acked) - stored), "integrity": integrity,
                   "resumed": len(again), "resume_errors": len(again_errors)}
        print_figures(f"disk full ({name})", figures)
        self.assertGreater(len(acked), 0)
        self.assertGreater(len(errors), 0)
        self.assertEqual(dropped, len(errors))
        self.assertEqual(len(acked) + len(errors), COUNT)
        self.assertEqual(figures["acknowledged_lost"], 0)
        self.assertEqual(integrity, "ok")
        self.assertEqual(len(again), 50)
        if errors:
            self.assertIn(self.journal, errors[0])  # the message names the file

    def test_file_size_limit(self):
        self.run_gb("record", "cli_event", "--field", "command=seed")
        limit = os.path.getsize(self.journal) + 512 * 1024
        acked, errors, dropped = self.record_until_full(limit_file_size(limit))
        # The command line reports the same condition as one clear line and exit 74.
        cli = subprocess.run([BIN, "--journal", self.journal, "record", "cli_event", "--field",
                              "command=" + "z" * 100, "--field", "args:=" + '["%s"]' % ("a" * 9000)],
                             capture_output=True, text=True, env=self.env,
                             preexec_fn=limit_file_size(os.path.getsize(self.journal)))
        self.check_full("ulimit -f", acked, errors, dropped)
        if cli.returncode != 0:
            self.assertEqual(cli.returncode, 74, cli.stderr)
            self.assertEqual(len(cli.stderr.strip().splitlines()), 1, cli.stderr)

    def test_small_tmpfs(self):
        mnt = os.path.join(self.dir, "tmpfs")
        os.makedirs(mnt)
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", mnt],
                               capture_output=True, text=True)
        if mount.returncode != 0:
            reason = f"mounting a tmpfs is not permitted here: {mount.stderr.strip()}"
            print_figures("disk full (tmpfs)", {"skipped": reason})
            raise unittest.SkipTest(reason)
        try:
            self.journal = os.path.join(mnt, "state", "journal.db")
            self.run_gb("record", "cli_event", "--field", "command=seed")
            filler = os.path.join(mnt, "filler")
            free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
            with open(filler, "wb") as f:
                f.write(b"\0" * max(0, free - 768 * 1024))
            acked, errors, dropped = self.record_until_full()
            os.remove(filler)  # space is freed
            self.check_full("tmpfs 8 MB", acked, errors, dropped)
        finally:
            subprocess.run(["umount", "-l", mnt], capture_output=True)
