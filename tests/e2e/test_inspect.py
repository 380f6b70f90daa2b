"""The transparency views: payload, ledger, explain, hash, open-spans, report."""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

from harness import GlassboxCase

CHROMIUM = shutil.which("chromium")


class InspectViewsTest(GlassboxCase):
    def setUp(self):
        super().setUp()
        self.ids = []
        for i in range(5):
            out = self.run_gb("record", "cli_event", "--field", f"command=cmd{i % 2}",
                              "--field", f'args:=["--flag-{i}"]',
                              "--field", 'settings:={"token":"CANARY-SETTING"}',
                              "--field", 'plugins:=[{"name":"tap-x","config":{"k":' + str(i) + "}}]")
            self.ids.append(out.stdout.strip())

    def test_explain_names_every_field_treatment_and_schema_version(self):
        out = json.loads(self.run_gb("inspect", "explain", self.ids[2], "--format", "json").stdout)
        self.assertEqual(out["schema_version"], "1-0-0")
        fields = {f["path"]: f for f in out["fields"]}
        self.assertEqual(fields["args[0]"]["privacy"], "md5")
        self.assertEqual(fields["args[0]"]["value"], hashlib.md5(b"--flag-2").hexdigest())
        self.assertEqual(fields["command"]["treatment"].split(" ")[0], "kept")
        self.assertEqual(fields["settings"]["privacy"], "drop")
        self.assertNotIn("value", fields["settings"])
        self.assertEqual(fields["plugins[0].config"]["value"], hashlib.md5(b'{"k":2}').hexdigest())
        missing = self.run_gb("inspect", "explain", "00000000-0000-7000-8000-000000000000",
                              check=False)
        self.assertEqual(missing.returncode, 66)

    def test_hash_matches_what_the_journal_holds(self):
        digest = self.run_gb("inspect", "hash", "--", "--flag-3").stdout.strip()
        [event] = [e for e in self.events() if e["event_id"] == self.ids[3]]
        self.assertEqual(event["data"]["args"][0], digest)
        from_stdin = self.run_gb("inspect", "hash", "--json", "-", input='{ "k" : 3 }\n')
        self.assertEqual(from_stdin.stdout.strip(), event["data"]["plugins"][0]["config"])
        sha = json.loads(self.run_gb("inspect", "hash", "abc", "--algo", "sha256",
                                     "--format", "json").stdout)
        self.assertEqual(sha["digest"], hashlib.sha256(b"abc").hexdigest())

    def test_open_spans_lists_unfinished_work_with_age(self):
        span = self.run_gb("start", "cli_event", "--field", "command=elt").stdout.strip()
        done = self.run_gb("start", "cli_event", "--field", "command=run").stdout.strip()
        self.run_gb("complete", done, "--status", "success")
        out = json.loads(self.run_gb("inspect", "open-spans", "--format", "json").stdout)
        self.assertEqual([s["span_id"] for s in out["open_spans"]], [span])
        self.assertGreaterEqual(out["open_spans"][0]["age_seconds"], 0)
        self.assertEqual(out["open_spans"][0]["data"], {"command": "elt"})

    def test_payload_out_writes_wire_bytes_and_decoded_ndjson(self):
        out_dir = os.path.join(self.dir, "payload")
        listing = json.loads(self.run_gb("inspect", "payload", "--out", out_dir,
                                         "--format", "json").stdout)
        self.assertEqual(listing["events"], 5)
        [batch] = listing["batches"]
        with open(os.path.join(out_dir, "batch-0001.ndjson"), "rb") as f:
            body = f.read()
        with open(os.path.join(out_dir, "batch-0001.body"), "rb") as f:
            wire = f.read()
        self.assertEqual(hashlib.sha256(body).hexdigest(), batch["idempotency_key"])
        self.assertEqual(len(wire), batch["wire_bytes"])
        decoded = subprocess.run(["zstd", "-dc"], input=wire, capture_output=True).stdout
        self.assertEqual(decoded, body)
        events_ndjson = self.run_gb("inspect", "events", "--format", "ndjson").stdout.encode()
        self.assertEqual(body, events_ndjson)

    def test_filter_is_shared_by_views(self):
        only = self.run_gb("inspect", "events", "--format", "ndjson", "--filter",
                           "schema=cli_event,phase=single").stdout.splitlines()
        self.assertEqual(len(only), 5)
        payload = json.loads(self.run_gb("inspect", "payload", "--format", "json", "--filter",
                                         "phase=started").stdout)
        self.assertEqual(payload["events"], 0)
        future = self.run_gb("inspect", "events", "--format", "ndjson", "--since",
                             "2199-01-01").stdout
        self.assertEqual(future, "")
        self.assertEqual(self.run_gb("inspect", "events", "--filter", "nope=1",
                                     check=False).returncode, 64)

    def test_ledger_is_empty_json_before_any_upload(self):
        out = json.loads(self.run_gb("inspect", "ledger", "--format", "json").stdout)
        self.assertEqual(out, {"entries": []})

    def test_views_fit_in_80_columns(self):
        for view in (["inspect"], ["inspect", "events"], ["inspect", "payload"],
                     ["inspect", "explain", self.ids[0]], ["inspect", "open-spans"]):
            for line in self.run_gb(*view).stdout.splitlines():
                self.assertLessEqual(len(line), 80, f"{view}: {line!r}")

    def test_report_is_self_contained(self):
        report = os.path.join(self.dir, "report.html")
        self.run_gb("inspect", "report", "--html", report)
        with open(report, encoding="utf-8") as f:
            html = f.read()
        for external in ("src=", "href=", "url(", "@import", "<script", "<link"):
            self.assertNotIn(external, html)
        self.assertIn('<td class="num" id="events-total">5</td>', html)
        self.assertNotIn("CANARY-SETTING", html)


# Chromium's own service traffic (clock sync, component updates, sign-in), which headless
# Chromium sends whatever page it shows; anything else would come from the report.
BROWSER_SERVICE_HOSTS = (".google.com", ".googleapis.com", ".gvt1.com", ".gstatic.com")


class _RecordingProxy:
    """An HTTP proxy stand-in that records the target host of every request and answers none."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.hosts = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                request_line = conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
                target = request_line.split(" ")[1] if " " in request_line else request_line
                self.hosts.append(target.split("://")[-1].split("/")[0].split(":")[0])
            except OSError:
                self.hosts.append("?")
            conn.close()

    def page_requests(self):
        return [h for h in self.hosts if not h.endswith(BROWSER_SERVICE_HOSTS)]


class ReportPayloadTest(GlassboxCase):
    def report(self):
        """The HTML report, and the text of its payload preview."""
        path = os.path.join(self.dir, "report.html")
        self.run_gb("inspect", "report", "--html", path)
        with open(path, encoding="utf-8") as f:
            html = f.read()
        return html, html.split('id="payload-preview">', 1)[1].split("</pre>", 1)[0]

    def test_report_counts_every_batch_and_previews_only_the_first(self):
        config = os.path.join(self.env["XDG_CONFIG_HOME"], "glassbox", "config.toml")
        os.makedirs(os.path.dirname(config))
        with open(config, "w") as f:
            f.write("[upload]\nmax_batch_events = 2\n")
        for i in range(5):
            self.run_gb("record", "cli_event", "--field", f"command=c{i}")
        ids = [e["event_id"] for e in self.events()]
        listing = json.loads(self.run_gb("inspect", "payload", "--format", "json").stdout)
        self.assertEqual((listing["events"], listing["batches_total"]), (5, 3))
        html, preview = self.report()
        self.assertIn('id="pending-batches">5 events in 3 batch(es)<', html)
        self.assertEqual([i for i in ids if i in preview], ids[:2])
        self.assertNotIn('id="preview-cut"', html)

    def test_report_previews_the_first_100_events_of_a_large_batch(self):
        lines = "".join(json.dumps({"schema": "cli_event", "data": {"command": f"c{i}"}}) + "\n"
                        for i in range(150))
        self.run_gb("record", "--ndjson", "-", input=lines)
        ids = [e["event_id"] for e in self.events()]
        html, preview = self.report()
        self.assertIn('id="pending-batches">150 events in 1 batch(es)<', html)
        self.assertEqual([i for i in ids if i in preview], ids[:100])
        self.assertIn("The first 100 of this batch's 150 events", html)


@unittest.skipUnless(CHROMIUM, "Debian chromium is not installed")
class ReportInChromiumTest(GlassboxCase):
    def test_report_renders_expected_numbers_and_makes_no_request(self):
        for i in range(3):
            self.run_gb("record", "cli_event", "--field", f"command=c{i}")
        self.run_gb("start", "cli_event", "--field", "command=elt")
        report = os.path.join(self.dir, "report.html")
        self.run_gb("inspect", "report", "--html", report)
        proxy = _RecordingProxy()
        profile = tempfile.mkdtemp(dir=self.dir)
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}",
             f"--proxy-server=http://127.0.0.1:{proxy.sock.getsockname()[1]}",
             "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=2000", "--dump-dom",
             "file://" + report],
            capture_output=True, text=True, timeout=120)
        proxy.sock.close()
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        dom = proc.stdout
        self.assertIn('id="events-total">4<', dom)
        self.assertIn('id="open-spans">1<', dom)
        self.assertIn('id="pending-batches">4 events in 1 batch(es)<', dom)
        self.assertIn('data-count="4"', dom)  # the per-day chart: all four events today
        self.assertEqual(proxy.page_requests(), [])
