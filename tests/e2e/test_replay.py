"""glassbox replay against the project's fault-injecting collector on 127.0.0.1."""
import json
import os
import signal
import subprocess
import time

from collector import Collector
from harness import BIN
from replay_helpers import ReplayCase


class ReplayDeliveryTest(ReplayCase):
    def test_every_event_arrives_exactly_once_across_faults_and_repeated_runs(self):
        self.write_config(max_batch_events=4, compression="gzip")
        self.record(10)
        self.collector.push({"status": 500}, {}, {"drop": True},
                            {"status": 503, "retry_after": "0"}, {}, {"status": 429},
                            {"status": 502})
        codes = []
        for run in range(12):
            if run in (1, 3):
                self.record(5)  # recording goes on between (and during) runs
            proc = self.replay()
            codes.append(proc.returncode)
            if proc.returncode == 0:
                break
        self.assertEqual(codes[-1], 0, codes)
        self.assertEqual(set(codes[:-1]), {75}, codes)
        # libcurl silently retries a request whose reused connection died before any answer,
        # so the dropped connection may not cost a run; every scripted fault was still served.
        self.assertGreaterEqual(len(codes), 5, codes)
        self.assertEqual(self.collector.script, [])
        self.assertEqual(self.replay().returncode, 0)  # nothing more is due
        self.assert_each_recorded_event_arrived_exactly_once()
        self.assert_ledger_matches_bodies_received()
        self.assertEqual(len(self.events("sent")), 20)
        self.assertEqual(self.events("pending"), [])
        for r in self.collector.requests:
            self.assertEqual(r["headers"]["Content-Type"], "application/x-ndjson")
            self.assertEqual(r["headers"]["Content-Encoding"], "gzip")
            self.assertRegex(r["headers"]["User-Agent"], r"^glassbox/\d+\.\d+\.\d+$")

    def test_only_replay_loads_the_http_stack(self):
        # libcurl's dependency tree costs every process ~6 ms to load, so glassbox loads it
        # when replay needs it (replay/curl_api.h). The dynamic loader's own trace shows which
        # libraries a process opened.
        self.write_config()
        traced = dict(self.env, LD_DEBUG="files")
        recorded = self.run_gb("record", "cli_event", "--field", "command=x", env=traced)
        self.assertIn("libsqlite3.so", recorded.stderr)  # the trace works
        self.assertFalse("libcurl" in recorded.stderr, "record loaded libcurl")
        for cmd in (["inspect", "events"], ["inspect", "ledger"], ["inspect", "payload"],
                    ["doctor"]):
            self.assertFalse("libcurl" in self.run_gb(*cmd, env=traced).stderr,
                             f"{cmd} loaded libcurl")
        replayed = self.replay(env=traced)
        self.assertEqual(replayed.returncode, 0, replayed.stderr[-500:])
        self.assertTrue("libcurl.so.4" in replayed.stderr, "replay did not load libcurl")
        self.assertEqual(len(self.collector.accepted_events()), 1)
        # The bundle commands read the same config (its endpoint set) and never upload.
        bundle = os.path.join(self.dir, "b.gbx")
        for cmd in (["export", "--all", "--out", bundle], ["import", bundle], ["inspect", bundle]):
            proc = self.run_gb(*cmd, env=traced)
            self.assertFalse("libcurl" in proc.stderr, f"{cmd} loaded libcurl")

    def test_a_retried_batch_carries_the_same_idempotency_key(self):
        self.write_config(max_batch_events=100)
        self.record(3)
        self.collector.push({"drop": True})
        self.assertEqual(self.replay().returncode, 75)
        self.record(2)  # would change an unpinned first batch
        self.assertEqual(self.replay().returncode, 0)
        first, second, third = self.collector.requests
        self.assertEqual(first["key"], second["key"])
        self.assertEqual(first["raw"], second["raw"])
        self.assertEqual(third["events"], 2)
        self.assert_each_recorded_event_arrived_exactly_once()

    def test_payload_too_large_splits_batches_until_the_collector_accepts(self):
        self.collector.max_events = 3
        self.write_config(max_batch_events=10)
        self.record(10)
        self.assertEqual(self.replay().returncode, 0)
        statuses = self.collector.statuses()
        self.assertEqual(statuses[0], 413)
        self.assertIn(200, statuses)
        self.assert_each_recorded_event_arrived_exactly_once()
        self.assert_ledger_matches_bodies_received()

    def test_retry_after_is_stored_and_respected_by_the_next_run(self):
        self.write_config()
        self.record(2)
        self.collector.push({"status": 503, "retry_after": "3600"})
        proc = self.replay("-v")
        self.assertEqual(proc.returncode, 75)
        self.assertIn("http 503", proc.stderr)
        explain = json.loads(self.run_gb("replay", "--explain", "--format", "json").stdout)
        self.assertFalse(explain["would_upload"])
        self.assertEqual(explain["blocked_by"], "retry_after")
        self.assertEqual(self.replay().returncode, 75)
        self.assertEqual(len(self.collector.requests), 1)  # the second run did not call
        self.assertEqual(len(self.events("pending")), 2)

    def test_other_client_errors_stop_with_exit_1_and_keep_the_events(self):
        self.write_config()
        self.record(3)
        self.collector.push({"status": 401})
        proc = self.replay()
        self.assertEqual(proc.returncode, 1)
        self.assertIn("http 401", proc.stderr)  # reported even when not on a terminal
        self.assertEqual(len(self.events("pending")), 3)
        self.assertEqual(self.replay().returncode, 0)
        self.assert_each_recorded_event_arrived_exactly_once()

    def test_a_slow_collector_times_out_transiently(self):
        self.write_config(timeout="300ms")
        self.record(2)
        self.collector.push({"hold": True})
        self.assertEqual(self.replay().returncode, 75)
        self.collector.release.set()
        self.assertEqual(self.replay().returncode, 0)
        self.assert_each_recorded_event_arrived_exactly_once()


class ReplayCrashTest(ReplayCase):
    def test_kill_9_mid_upload_loses_nothing_and_the_rerun_resends_the_same_batch(self):
        self.write_config(max_batch_events=5)
        self.record(12)
        self.collector.push({"hold": True})
        cmd = [BIN, "--journal", self.journal, "replay", "--no-jitter"]
        victim = subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.addCleanup(victim.kill)
        self.assertTrue(self.collector.received.wait(20), "the first batch never arrived")
        # While the first run holds the lock: a second replay defers, recording goes on.
        second = self.replay("-v")
        self.assertEqual(second.returncode, 75)
        self.assertIn("another replay is running", second.stderr)
        self.record(3)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.collector.release.set()  # the collector stores the batch the dead client sent
        self.assertEqual(self.replay().returncode, 0)
        self.assertEqual(self.collector.requests[0]["key"], self.collector.requests[1]["key"])
        self.assertEqual(self.collector.duplicates, 1)  # dropped by Idempotency-Key
        self.assert_each_recorded_event_arrived_exactly_once()
        self.assert_ledger_matches_bodies_received()
        self.assertEqual(len(self.events("sent")), 15)


class ReplayPolicyTest(ReplayCase):
    def window_around_now(self, inside):
        now = time.gmtime()  # TZ=UTC for the binary too
        h = now.tm_hour
        if inside:  # an hour either side, crossing midnight when it must
            return f"{(h - 1) % 24:02d}:00-{(h + 2) % 24:02d}:00"
        return f"{(h + 3) % 24:02d}:00-{(h + 5) % 24:02d}:00"

    def test_nothing_is_sent_outside_the_window(self):
        self.write_config(windows=[self.window_around_now(False)])
        self.record(3)
        proc = self.replay()
        self.assertEqual(proc.returncode, 75)
        self.assertEqual(proc.stdout + proc.stderr, "")  # quiet under cron
        explain = self.run_gb("replay", "--explain").stdout
        self.assertIn("outside the upload windows", explain)
        self.assertEqual(self.collector.requests, [])
        self.write_config(windows=[self.window_around_now(True)])
        self.assertEqual(self.replay().returncode, 0)
        self.assert_each_recorded_event_arrived_exactly_once()

    def test_min_interval_defers_the_next_run(self):
        self.write_config(min_interval="6h")
        self.record(2)
        self.assertEqual(self.replay().returncode, 0)
        self.record(2)
        self.assertEqual(self.replay().returncode, 75)
        explain = json.loads(self.run_gb("replay", "--explain", "--format", "json").stdout)
        self.assertEqual(explain["blocked_by"], "min_interval")
        self.assertEqual(len(self.collector.accepted_events()), 2)

    def test_nothing_due_exits_0_and_a_dry_run_sends_and_changes_nothing(self):
        self.write_config()
        self.assertEqual(self.replay().returncode, 0)
        self.record(4)
        proc = self.replay("--dry-run", "--format", "json")
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(json.loads(proc.stdout)["events"], 4)
        self.assertEqual(self.collector.requests, [])
        self.assertEqual(len(self.events("pending")), 4)

    def test_configured_headers_come_from_the_environment_and_are_never_printed(self):
        self.write_config(headers={"X-Api-Key": "env:GB_TEST_API_KEY"})
        self.record(1)
        env = dict(self.env, GB_TEST_API_KEY="CANARY-API-KEY-3e1f")
        proc = self.replay("-v", env=env)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(self.collector.requests[0]["headers"]["X-Api-Key"], "CANARY-API-KEY-3e1f")
        self.assertNotIn("CANARY", proc.stdout + proc.stderr)
        for name, data in self.journal_files_bytes().items():
            self.assertNotIn(b"CANARY-API-KEY", data, name)
        self.record(1)
        missing = self.replay()  # the variable is gone: a person must act, no value shown
        self.assertEqual(missing.returncode, 1)
        self.assertIn("GB_TEST_API_KEY", missing.stderr)

    def test_proxies_come_from_the_standard_environment_variables(self):
        proxy = Collector().start()  # answers the proxied POST itself, as a stand-in proxy
        self.addCleanup(proxy.stop)
        self.write_config()
        self.record(2)
        env = dict(self.env, http_proxy=f"http://127.0.0.1:{proxy.port}", no_proxy="")
        self.assertEqual(self.replay(env=env).returncode, 0)
        self.assertEqual(self.collector.requests, [])
        self.assertEqual(proxy.requests[0]["path"], self.collector.url)  # absolute-form target
        self.assertEqual(len(proxy.accepted_events()), 2)

    def test_config_errors_name_the_key_and_exit_1(self):
        path = self.write_config(max_batch_evnts=3)
        proc = self.replay()
        self.assertEqual(proc.returncode, 1)
        self.assertIn("upload.max_batch_evnts", proc.stderr)
        self.assertIn(path, proc.stderr)
        self.write_config(endpoint="http://collector.example.com/v1/events")
        self.assertIn("allow_insecure_http", self.replay().stderr)
        self.record(1)
        os.unlink(path)
        proc = self.replay()
        self.assertEqual(proc.returncode, 1)
        self.assertIn("upload.endpoint is not set", proc.stderr)
        self.assertEqual(self.run_gb("--config", path + ".missing", "replay",
                                     check=False).returncode, 1)


class ConsentTest(ReplayCase):
    def test_local_events_stay_local_even_after_consent_on(self):
        self.write_config()
        self.run_gb("consent", "local")
        local_ids = self.record(3)
        self.assertEqual(self.replay().returncode, 0)
        self.assertEqual(self.collector.requests, [])
        self.run_gb("consent", "on")
        on_ids = self.record(2)
        self.assertEqual(self.replay().returncode, 0)
        self.assert_each_recorded_event_arrived_exactly_once(on_ids)
        self.assertEqual(sorted(e["event_id"] for e in self.events("local")), sorted(local_ids))
        self.assertIn("local-only", self.run_gb("consent", "status").stdout)

    def test_off_deletes_pending_events_counts_them_and_sends_nothing(self):
        self.write_config()
        self.record(4)
        out = self.run_gb("consent", "off").stdout
        self.assertIn("deleted 4", out)
        self.assertEqual(self.events(), [])
        summary = json.loads(self.run_gb("inspect", "--format", "json").stdout)
        self.assertEqual(summary["consent_deleted"], 4)
        self.assertIn("consent off", [r["destination"] for r in self.ledger()])
        self.record(2)  # a successful no-op under off
        self.assertEqual(self.events(), [])
        self.assertEqual(self.replay().returncode, 0)
        self.assertEqual(self.collector.requests, [])
        self.assertIn("consent off", self.run_gb("consent", "status").stdout)

    def test_do_not_track_forces_off_for_replay(self):
        self.write_config()
        self.record(2)
        env = dict(self.env, DO_NOT_TRACK="1")
        proc = self.replay("--explain", env=env)
        self.assertIn("consent is off", proc.stdout)
        self.assertEqual(self.replay(env=env).returncode, 0)
        self.assertEqual(self.collector.requests, [])
        self.assertEqual(len(self.events("pending")), 2)
