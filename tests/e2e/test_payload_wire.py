"""What `inspect payload` shows is byte for byte what replay then sends."""
import glob
import hashlib
import json
import os
import sqlite3

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


class WholeBlocksTravelInTheirStoredFrameTest(ReplayCase):
    def stored_frames(self, min_level):
        con = sqlite3.connect(f"file:{self.journal}?mode=ro", uri=True)
        try:
            return [bytes(r[0]) for r in con.execute(
                "SELECT body FROM blocks WHERE level >= ? ORDER BY last_seq", (min_level,))]
        finally:
            con.close()

    def test_a_level2_block_is_sent_as_the_journal_keeps_it(self):
        self.write_config()  # the default limits: 4,096 events, 4 MiB
        self.record(5000)
        frames = self.stored_frames(2)
        self.assertEqual(len(frames), 1, "record --ndjson seals 4,096 events into level 2")
        out_dir = os.path.join(self.dir, "payload")
        self.run_gb("inspect", "payload", "--out", out_dir)
        shown = []
        for path in sorted(glob.glob(os.path.join(out_dir, "batch-*.body"))):
            with open(path, "rb") as f:
                shown.append(f.read())
        self.assertEqual(len(shown), 2)
        self.assertEqual(shown[0], frames[0])  # the stored frame, not a new compression
        self.assertEqual(self.replay().returncode, 0)
        received = [r["raw"] for r in self.collector.requests]
        self.assertEqual(received, shown)
        first = self.collector.requests[0]["body"]  # decompressed by the zstd tool
        self.assertEqual(len(first.splitlines()), 4096)
        self.assertEqual(hashlib.sha256(first).hexdigest(),
                         self.collector.requests[0]["headers"]["Idempotency-Key"])
        self.assert_each_recorded_event_arrived_exactly_once()
        self.assert_ledger_matches_bodies_received()
