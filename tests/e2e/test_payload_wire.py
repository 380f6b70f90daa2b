"""What `inspect payload` shows is byte for byte what replay then sends."""
import glob
import hashlib
import json
import os

from replay_helpers import ReplayCase


class PayloadEqualsWireTest(ReplayCase):
    def check_compression(self, compression):
        self.write_config(compression=compression, max_batch_events=7)
        self.record(20)
        out_dir = os.path.join(self.dir, "payload-" + compression)
        printed = self.run_gb("inspect", "payload", "--out", out_dir, "--format", "json").stdout
        listing = json.loads(printed)
        # Written one batch at a time, yet formatted as every other JSON view (two-space
        # indent, keys in their documented order).
        self.assertEqual(printed, json.dumps(listing, indent=2, ensure_ascii=False) + "\n")
        self.assertEqual(listing["events"], 20)
        self.assertEqual(listing["batches_total"], 3)
        shown = []
        for path in sorted(glob.glob(os.path.join(out_dir, "batch-*.body"))):
            with open(path, "rb") as f:
                shown.append(f.read())
        self.assertEqual(self.replay().returncode, 0)
        received = [r["raw"] for r in self.collector.requests]
        self.assertEqual(received, shown)  # wire bytes, in order, byte for byte
        for batch, request in zip(listing["batches"], self.collector.requests):
            for name, value in batch["headers"].items():
                self.assertEqual(request["headers"].get(name), value, name)
        sent = [e for e in self.ledger() if e["kind"] == "upload"]
        self.assertEqual([e["sha256"] for e in sent],
                         [hashlib.sha256(r["body"]).hexdigest() for r in self.collector.requests])
        printed = self.run_gb("inspect", "payload", "--format", "json").stdout
        self.assertEqual(printed, '{\n  "batches": [],\n  "batches_total": 0,\n  "events": 0\n}\n')
        text = self.run_gb("inspect", "payload").stdout
        self.assertEqual(text, "nothing would be sent: no pending events match\n")

    def test_zstd(self):
        self.check_compression("zstd")

    def test_gzip(self):
        self.check_compression("gzip")

    def test_none(self):
        self.check_compression("none")
