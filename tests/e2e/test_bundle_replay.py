"""replay --bundle: a bundle carried out of an air gap, uploaded from a connected machine to the
collector on 127.0.0.1 with the same batches, keys and ledger as a journal replay."""
import json
import os
import shutil

from replay_helpers import ReplayCase


class BundleReplayTest(ReplayCase):
    def setUp(self):
        super().setUp()
        self.connected = os.path.join(self.dir, "connected", "journal.db")
        self.bundle = os.path.join(self.dir, "site.gbx")

    def on_connected(self, *args, env=None):
        return self.run_gb("--journal", self.connected, *args, env=env, check=False,
                           journal=False)

    def replay_bundle(self, *args):
        return self.on_connected("replay", "--no-jitter", "--bundle", self.bundle, *args)

    def keys(self, requests):
        return [r["key"] for r in requests if r["answer"] == 200]

    def test_each_event_arrives_once_in_the_batches_the_source_would_have_sent(self):
        self.write_config(max_batch_events=4)
        self.record(10)
        twin = os.path.join(self.dir, "twin")  # the source journal as it was before export
        shutil.copytree(os.path.dirname(self.journal), twin)
        self.run_gb("export", "--out", self.bundle)
        proc = self.replay_bundle("-v")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("bundle delivered", proc.stdout)
        self.assert_each_recorded_event_arrived_exactly_once()
        from_bundle = self.keys(self.collector.requests)
        self.assertEqual(len(from_bundle), 3)
        # The source itself has nothing more to send: the events are exported.
        self.assertEqual(self.replay().returncode, 0)
        self.assertEqual(len(self.collector.requests), 3)
        # A second replay of the bundle sends nothing either.
        again = self.replay_bundle("-v")
        self.assertEqual(again.returncode, 0)
        self.assertIn("delivered already", again.stdout)
        self.assertEqual(len(self.collector.requests), 3)
        # The journal the bundle came from, replayed directly: the very same batches.
        twin_journal = os.path.join(twin, os.path.basename(self.journal))
        self.assertEqual(self.run_gb("--journal", twin_journal, "replay", "--no-jitter",
                                     journal=False).returncode, 0)
        self.assertEqual(self.keys(self.collector.requests[3:]), from_bundle)
        self.assertEqual(self.collector.duplicates, 3)
        # The connected machine's ledger: one row per batch, then the delivery.
        ledger = self.run_gb("--journal", self.connected, "inspect", "ledger", "--format",
                             "json", journal=False).stdout
        rows = json.loads(ledger)["entries"]
        self.assertEqual([r["kind"] for r in rows], ["upload"] * 3 + ["bundle"])
        self.assertEqual(sorted(r["sha256"] for r in rows[:3]), sorted(from_bundle))
        self.assertEqual(rows[3]["result"], "delivered")
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.connected), "bundles")))

    def test_an_interrupted_delivery_resumes_with_the_same_key_and_loses_nothing(self):
        self.write_config(max_batch_events=3)
        self.record(8)
        self.run_gb("export", "--out", self.bundle)
        self.collector.push({}, {"status": 503})
        first = self.replay_bundle()
        self.assertEqual(first.returncode, 75, first.stderr)
        staging = os.path.join(os.path.dirname(self.connected), "bundles")
        # The staging journal (named by the bundle's digest), its install-id sidecar and lock.
        names = sorted(os.listdir(staging))
        self.assertEqual(len(names), 3, names)
        self.assertTrue(names[0].endswith(".db"), names)
        self.assertEqual(names[1:], [names[0] + ".id", names[0] + ".replay-lock"])
        second = self.replay_bundle()
        self.assertEqual(second.returncode, 0, second.stderr)
        keys = [r["key"] for r in self.collector.requests]
        self.assertEqual(keys[1], keys[2])  # the refused batch, resent as it was
        self.assertEqual(len(self.collector.requests), 4)  # the first batch was not resent
        self.assert_each_recorded_event_arrived_exactly_once()
        self.assertFalse(os.path.exists(staging))

    def test_the_connected_machines_consent_and_signature_policy_apply(self):
        config = self.write_config()
        self.record(3)
        self.run_gb("export", "--out", self.bundle)
        self.on_connected("consent", "local")
        proc = self.replay_bundle("-v")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("consent is local", proc.stdout)
        self.on_connected("consent", "on")
        dry = self.replay_bundle("--dry-run", "-v")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn("would send 3 event(s)", dry.stdout)
        self.assertEqual(self.collector.requests, [])
        self.run_gb("keygen", "--out", os.path.join(self.dir, "k"), journal=False)
        with open(config, "a") as f:
            f.write(f'[bundle]\nverify_key = "{self.dir}/k.pub"\nrequire_signature = true\n')
        refused = self.replay_bundle()
        self.assertEqual(refused.returncode, 65)
        self.assertIn("not signed", refused.stderr)
        self.assertEqual(self.collector.requests, [])
