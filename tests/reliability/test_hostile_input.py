"""Hostile input, through the command line (--ndjson on stdin, --data) and through the C++ API
(gb_record_driver --input): each case is refused with one clear message that does not echo
the input, nothing is stored, and time and memory stay bounded. Shell metacharacters and
newlines are valid values: they are stored verbatim. Figures per case: refused by each path,
milliseconds and peak memory (MB) of the slowest path."""
import json
import os
import subprocess
import sys

from drivers import DRIVER, print_figures
from harness import BIN, GlassboxCase

MB = 1 << 20
MEASURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "measure.py")


def deep(n):
    return b'{"command":' + b"[" * n + b"]" * n + b"}"


def fields(n):
    return b'{"settings":{' + b",".join(b'"k%d":0' % i for i in range(n)) + b'}}'


# (name, a function making the input bytes, what the message must say). The inputs are made
# one at a time and dropped before the programs run, so the memory figures are theirs.
CASES = [
    ("invalid UTF-8", lambda: b'{"command":"\xff\xfe run"}', "not valid UTF-8"),
    ("UTF-8-encoded surrogate", lambda: b'{"command":"\xed\xa0\x80"}', "not valid UTF-8"),
    ("NUL escape", lambda: b'{"command":"a\\u0000b"}', "NUL"),
    ("raw NUL byte", lambda: b'{"command":"a\x00b"}', "control character"),
    ("lone surrogate", lambda: b'{"command":"\\ud800"}', "surrogate"),
    ("100,000-deep nesting", lambda: deep(100000), "nested deeper than"),
    ("huge number 1e400", lambda: b'{"command":"x","settings":1e400}', "out of range"),
    ("NaN", lambda: b'{"command":NaN}', "not valid JSON"),
    ("Infinity", lambda: b'{"command":Infinity}', "not valid JSON"),
    ("duplicate keys", lambda: b'{"command":"run","command":"rm"}', "duplicate key"),
    ("100 MB string", lambda: b'{"command":"' + b"x" * (100 * MB) + b'"}', "larger than"),
    ("a million fields", lambda: fields(1000000), "larger than"),
    ("11,000 fields", lambda: fields(11000), "more than 10000 values"),
    ("oversized event (1.5 MB)",
     lambda: b'{"command":"run","settings":"' + b"y" * (3 * MB // 2) + b'"}', "larger than"),
    ("top level not an object", lambda: b'["command"]', "must be a JSON object"),
]

# Valid values a shell would treat specially: stored verbatim, never interpreted.
TRICKY = "$(touch /tmp/glassbox-pwned); `id` | rm -rf / && echo \"q\" 'q' > /x < /y * ? ~ !$\n" \
         "second line\r\n\ttab \\ backslash %s %n {{7*7}}"


class HostileInputTest(GlassboxCase):
    def run_measured(self, cmd):
        """Runs `cmd` (through measure.py); returns (returncode, stdout, stderr, ms, peak MB)."""
        out_path, err_path = os.path.join(self.dir, "out"), os.path.join(self.dir, "err")
        report = os.path.join(self.dir, "measure")
        with open(out_path, "wb") as o, open(err_path, "wb") as e:
            subprocess.run([sys.executable, MEASURE, report, *cmd], stdin=subprocess.DEVNULL,
                           stdout=o, stderr=e, env=self.env)
        with open(report, encoding="ascii") as r:
            rc, ms, kb = (int(x) for x in r.read().split())
        with open(out_path, "rb") as o, open(err_path, "rb") as e:
            return rc, o.read(), e.read(), ms, kb / 1024

    def write_inputs(self, make):
        """Writes the three forms of one case to files; returns (envelope, input, argv data)."""
        payload = make()
        envelope_path = os.path.join(self.dir, "envelope.ndjson")
        with open(envelope_path, "wb") as f:
            f.write(b'{"schema":"cli_event","data":' + payload + b"}\n")
        input_path = os.path.join(self.dir, "input.json")
        with open(input_path, "wb") as f:
            f.write(payload)
        argv_data = payload if len(payload) < 100000 and b"\x00" not in payload else None
        return envelope_path, input_path, argv_data

    def paths(self, make):
        """The same input through each path: yields (path name, refused, stderr, ms, MB)."""
        envelope_path, input_path, argv_data = self.write_inputs(make)
        rc, _, err, ms, mb = self.run_measured(
            [BIN, "--journal", self.journal, "record", "--ndjson", envelope_path])
        yield "cli --ndjson", rc == 65, err, ms, mb
        rc, _, err, ms, mb = self.run_measured([DRIVER, self.journal, "--input", input_path])
        yield "C++ API", rc == 1 and err.startswith(b"error: "), err, ms, mb
        if argv_data is not None:
            rc, _, err, ms, mb = self.run_measured(
                [BIN, "--journal", self.journal, "record", "cli_event", "--data", argv_data])
            yield "cli --data", rc == 65 and len(err.splitlines()) == 1, err, ms, mb

    def test_hostile_inputs_are_refused_clearly_and_nothing_is_stored(self):
        self.run_gb("record", "cli_event", "--field", "command=seed")
        all_figures = {}
        for name, make, why in CASES:
            fig = {"refused": [], "not_refused": [], "max_ms": 0, "max_rss_mb": 0}
            for path, refused, err, ms, mb in self.paths(make):
                text = err.decode("utf-8", "replace")
                ok = refused and why in text and "xxxxxxxxxx" not in text and "yyyyyyyy" not in text
                (fig["refused"] if ok else fig["not_refused"]).append(path)
                if not ok:
                    print(f"NOT REFUSED CLEARLY: {name} via {path}: {text[:300]!r}")
                fig["max_ms"] = max(fig["max_ms"], round(ms))
                fig["max_rss_mb"] = max(fig["max_rss_mb"], round(mb))
            all_figures[name] = fig
        print_figures("hostile input", all_figures)
        for name, fig in all_figures.items():
            self.assertEqual(fig["not_refused"], [], name)
            self.assertLess(fig["max_ms"], 20000, name)
            # The host reads the 100 MB case into memory itself; glassbox adds little to that.
            self.assertLess(fig["max_rss_mb"], 150 if "100 MB" not in name else 250, name)
        self.assertEqual([e["data"]["command"] for e in self.events()], ["seed"])

    def test_shell_metacharacters_and_newlines_are_stored_verbatim(self):
        data = {"command": TRICKY, "sub_command": "a\nb"}
        self.run_gb("record", "cli_event", "--data", json.dumps(data))
        self.run_gb("record", "cli_event", "--field", "command=" + TRICKY)
        line = json.dumps({"schema": "cli_event", "data": data}) + "\n"
        self.run_gb("record", "--ndjson", "-", input=line)
        input_path = os.path.join(self.dir, "tricky.json")
        with open(input_path, "w", encoding="utf-8") as f:
            json.dump(data, f)
        subprocess.run([DRIVER, self.journal, "--input", input_path], check=True, env=self.env,
                       capture_output=True)
        stored = [e["data"] for e in self.events()]
        self.assertEqual(len(stored), 4)
        for d in stored:
            self.assertEqual(d["command"], TRICKY)
        self.assertFalse(os.path.exists("/tmp/glassbox-pwned"))
        # The table view prints them without breaking its one-line-per-event layout.
        table = self.run_gb("inspect", "events").stdout.splitlines()
        self.assertEqual(len(table), 1 + 4)
        print_figures("shell metacharacters stored verbatim", {"paths": 4, "verbatim": len(stored)})
