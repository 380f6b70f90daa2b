"""export / import / keygen / inspect FILE.gbx through the real binary (replay/BUNDLE.md)."""
import hashlib
import json
import os
import stat
import subprocess

from harness import GlassboxCase

TRAILER = 44  # the skippable frame holding the file's SHA-256 (replay/BUNDLE.md)


def seal(frames):
    """Appends the bundle trailer, as a writer does."""
    digest = hashlib.sha256(frames).digest()
    return frames + bytes([0x50, 0x2A, 0x4D, 0x18, 36, 0, 0, 0]) + b"GBX1" + digest


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "--check"], input=data, capture_output=True,
                          check=True).stdout


def read(path):
    with open(path, "rb") as f:
        return f.read()


def unzstd(path):
    return subprocess.run(["zstd", "-q", "-dc", path], capture_output=True, check=True).stdout


class BundleCase(GlassboxCase):
    def setUp(self):
        super().setUp()
        self.relay = os.path.join(self.dir, "relay", "journal.db")

    def record(self, n, phase_pairs=0):
        lines = [json.dumps({"schema": "cli_event",
                             "data": {"command": "run", "args": [f"--n{i}"]}})
                 for i in range(n)]
        self.run_gb("record", "--ndjson", "-", input="\n".join(lines) + "\n")
        for _ in range(phase_pairs):
            span = self.run_gb("start", "cli_event", "--field", "command=elt").stdout.strip()
            self.run_gb("complete", span, "--status", "success", "--exit-code", "0")

    def export(self, name="out.gbx", *extra):
        path = os.path.join(self.dir, name)
        self.run_gb("export", "--out", path, *extra)
        return path

    def on_relay(self, *args, check=True):
        return self.run_gb("--journal", self.relay, *args, check=check, journal=False)

    def relay_events(self):
        out = self.on_relay("inspect", "events", "--format", "ndjson").stdout
        return [json.loads(line) for line in out.splitlines() if line]

    def relay_files(self):
        d = os.path.dirname(self.relay)
        if not os.path.isdir(d):
            return {}
        return {n: read(os.path.join(d, n)) for n in sorted(os.listdir(d))}


class ExportTest(BundleCase):
    def test_zstd_and_jq_read_every_line_and_the_events_are_what_inspect_showed(self):
        self.record(20, phase_pairs=2)
        shown = self.run_gb("inspect", "events", "--state", "pending",
                            "--format", "ndjson").stdout.splitlines()
        path = self.export()
        jq = subprocess.run(f"zstd -dc '{path}' | jq -c .", shell=True, capture_output=True,
                            text=True)
        self.assertEqual(jq.returncode, 0, jq.stderr)
        self.assertEqual(len(jq.stdout.splitlines()), 25)
        manifest, *events = unzstd(path).decode().splitlines()
        self.assertEqual(events, shown)  # byte for byte
        m = json.loads(manifest)
        self.assertEqual(m["glassbox_bundle"], 1)
        self.assertEqual(m["event_count"], 24)
        body = "".join(e + "\n" for e in events).encode()
        self.assertEqual(m["events_sha256"], hashlib.sha256(body).hexdigest())
        self.assertEqual(m["events_bytes"], len(body))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_exported_events_are_not_sent_or_exported_again(self):
        self.record(5)
        self.export("a.gbx")
        self.assertEqual(self.events(state="pending"), [])
        self.assertEqual(len(self.events(state="exported")), 5)
        summary = json.loads(self.run_gb("inspect", "--format", "json").stdout)
        self.assertEqual(summary["by_state"]["pending"], 0)
        second = self.export("b.gbx")
        self.assertEqual(json.loads(unzstd(second).splitlines()[0])["event_count"], 0)
        again = self.export("c.gbx", "--all")
        self.assertEqual(json.loads(unzstd(again).splitlines()[0])["event_count"], 5)

    def test_export_refuses_to_overwrite_and_to_run_without_consent(self):
        self.record(2)
        path = os.path.join(self.dir, "x.gbx")
        open(path, "w").close()
        self.assertEqual(self.run_gb("export", "--out", path, check=False).returncode, 64)
        env = dict(self.env, GLASSBOX_CONSENT="local")
        proc = self.run_gb("export", "--out", path + "2", env=env, check=False)
        self.assertEqual(proc.returncode, 75)
        self.assertIn("consent is local", proc.stderr)
        self.assertFalse(os.path.exists(path + "2"))
        self.assertEqual(len(self.events(state="pending")), 2)

    def test_filter_selects_what_is_exported(self):
        self.record(3, phase_pairs=1)
        path = self.export("a.gbx", "--filter", "phase=started")
        self.assertEqual(json.loads(unzstd(path).splitlines()[0])["event_count"], 1)
        self.assertEqual(len(self.events(state="pending")), 4)
        bad = self.run_gb("export", "--out", path + "2", "--filter", "colour=red", check=False)
        self.assertEqual(bad.returncode, 64)


    def test_level_and_max_bytes_bound_what_export_writes(self):
        self.record(40)
        # max_bytes reached: exit 75 (run again), the bundle reads back under the same limit,
        # and what it left out is still pending for the next export.
        first = os.path.join(self.dir, "first.gbx")
        proc = self.run_gb("export", "--out", first, "--level", "19", "--max-bytes", "4KiB",
                           check=False)
        self.assertEqual(proc.returncode, 75, proc.stderr)
        self.assertIn("max_bytes", proc.stderr)
        self.assertLessEqual(len(unzstd(first)), 4096)
        taken = json.loads(unzstd(first).splitlines()[0])["event_count"]
        self.assertGreater(taken, 0)
        self.assertEqual(len(self.events(state="pending")), 40 - taken)
        self.run_gb("inspect", first, "--max-bytes", "4KiB", "--max-line-bytes", "1KiB",
                    journal=False)
        rest = self.export("rest.gbx")  # the default limit: everything left, exit 0
        self.assertEqual(json.loads(unzstd(rest).splitlines()[0])["event_count"], 40 - taken)
        self.assertEqual(self.events(state="pending"), [])
        bad = self.run_gb("export", "--out", rest + "2", "--level", "20", check=False)
        self.assertEqual(bad.returncode, 64)

    def test_sealed_blocks_go_in_as_their_stored_frames_unless_a_level_is_given(self):
        self.record(5000)  # one level-2 block of 4,096 events, the rest in smaller blocks
        stored = subprocess.run(
            ["sqlite3", self.journal, "SELECT hex(body) FROM blocks WHERE level >= 1"],
            capture_output=True, text=True, check=True).stdout.split()
        self.assertGreaterEqual(len(stored), 1)
        copied = read(self.export("copied.gbx"))
        for frame in stored:
            self.assertIn(bytes.fromhex(frame), copied)
        again = read(self.export("level.gbx", "--all", "--level", "3"))
        for frame in stored:
            self.assertNotIn(bytes.fromhex(frame), again)
        self.assertEqual(unzstd(os.path.join(self.dir, "copied.gbx")).splitlines()[1:],
                         unzstd(os.path.join(self.dir, "level.gbx")).splitlines()[1:])
        self.on_relay("import", os.path.join(self.dir, "copied.gbx"))
        self.assertEqual(len(self.relay_events()), 5000)


class SigningTest(BundleCase):
    def test_keygen_modes_key_id_and_no_overwrite(self):
        key = os.path.join(self.dir, "k")
        out = self.run_gb("keygen", "--out", key, journal=False).stdout
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        der = subprocess.run(["openssl", "pkey", "-pubin", "-in", key + ".pub", "-outform", "DER"],
                             capture_output=True, check=True).stdout
        self.assertIn(hashlib.sha256(der).hexdigest(), out)
        before = read(key)
        proc = self.run_gb("keygen", "--out", key, journal=False, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(read(key), before)

    def test_the_signature_verifies_by_hand_with_jq_and_openssl(self):
        key = os.path.join(self.dir, "k")
        self.run_gb("keygen", "--out", key, journal=False)
        self.record(3)
        path = self.export("a.gbx", "--sign", key)
        manifest = os.path.join(self.dir, "m.json")
        with open(manifest, "wb") as f:
            f.write(unzstd(path).splitlines()[0])
        msg = subprocess.run(["jq", "-cjS", "del(.signature)", manifest], capture_output=True,
                             check=True).stdout
        sig = subprocess.run(["jq", "-jr", ".signature", manifest], capture_output=True,
                             check=True).stdout
        with open(os.path.join(self.dir, "msg"), "wb") as f:
            f.write(msg)
        with open(os.path.join(self.dir, "sig"), "wb") as f:
            f.write(subprocess.run(["base64", "-d"], input=sig, capture_output=True,
                                   check=True).stdout)
        verify = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                                 key + ".pub", "-rawin", "-in", os.path.join(self.dir, "msg"),
                                 "-sigfile", os.path.join(self.dir, "sig")],
                                capture_output=True, text=True)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_wrong_or_missing_signature_is_refused_when_required(self):
        self.run_gb("keygen", "--out", os.path.join(self.dir, "k"), journal=False)
        self.run_gb("keygen", "--out", os.path.join(self.dir, "other"), journal=False)
        self.record(2)
        signed = self.export("signed.gbx", "--sign", os.path.join(self.dir, "k"))
        self.record(2)
        unsigned = self.export("unsigned.gbx")
        pub, other = os.path.join(self.dir, "k.pub"), os.path.join(self.dir, "other.pub")
        wrong = self.on_relay("import", signed, "--verify-key", other, "--require-signature",
                              check=False)
        self.assertEqual(wrong.returncode, 65)
        self.assertIn("not by the verification key", wrong.stderr)
        missing = self.on_relay("import", unsigned, "--verify-key", pub, "--require-signature",
                                check=False)
        self.assertEqual(missing.returncode, 65)
        self.assertIn("not signed", missing.stderr)
        no_key = self.on_relay("import", signed, "--require-signature", check=False)
        self.assertEqual(no_key.returncode, 64)
        self.assertEqual(self.relay_files(), {})  # nothing was written, not even a journal
        self.on_relay("import", signed, "--verify-key", pub, "--require-signature")
        self.assertEqual(len(self.relay_events()), 2)


class ImportTest(BundleCase):
    def test_importing_twice_gives_each_event_once_and_they_are_pending(self):
        self.record(10, phase_pairs=1)
        path = self.export()
        first = self.on_relay("import", path)
        self.assertIn("imported 12 new event(s)", first.stdout)
        self.assertIn("not signed", first.stderr)
        second = self.on_relay("import", path)
        self.assertIn("imported 0 new event(s)", second.stdout)
        self.assertIn("12 already present", second.stdout)
        events = self.relay_events()
        self.assertEqual(len(events), 12)
        self.assertEqual(len({e["event_id"] for e in events}), 12)
        summary = json.loads(self.on_relay("inspect", "--format", "json").stdout)
        self.assertEqual(summary["by_state"]["pending"], 12)
        # The relay carries them on: its bundle holds the same event lines.
        relay_bundle = os.path.join(self.dir, "relay.gbx")
        self.on_relay("export", "--out", relay_bundle)
        self.assertEqual(unzstd(relay_bundle).splitlines()[1:], unzstd(path).splitlines()[1:])

    def test_a_one_byte_flip_at_every_offset_is_refused_and_nothing_is_written(self):
        self.record(2)
        path = self.export()
        good = read(path)
        self.on_relay("import", path)
        before = self.relay_files()
        bad_path = os.path.join(self.dir, "bad.gbx")
        # One process per offset costs ~15 ms (~90 ms under ASan), so by default: every offset
        # of the first and last 64 bytes (frame headers, trailer) and every third one between
        # (every ninth under sanitizers); GLASSBOX_E2E_EXHAUSTIVE=1 takes them all.
        # bundle_test flips every bit in-process, also under ASan.
        exhaustive = os.environ.get("GLASSBOX_E2E_EXHAUSTIVE") == "1"
        stride = 9 if os.environ.get("GLASSBOX_SANITIZED") == "1" else 3
        offsets = [i for i in range(len(good))
                   if exhaustive or i < 64 or i >= len(good) - 64 or i % stride == 0]
        for i in offsets:
            bad = bytearray(good)
            bad[i] ^= 0x01 << (i % 8)
            with open(bad_path, "wb") as f:
                f.write(bad)
            proc = self.on_relay("import", bad_path, check=False)
            self.assertEqual(proc.returncode, 65, f"offset {i}: {proc.stdout}{proc.stderr}")
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertEqual(self.relay_files(), before)

    def test_truncated_bundles_are_refused(self):
        self.record(3)
        good = read(self.export())
        bad_path = os.path.join(self.dir, "bad.gbx")
        for n in (0, 1, 10, len(good) // 2, len(good) - TRAILER, len(good) - 1):
            with open(bad_path, "wb") as f:
                f.write(good[:n])
            proc = self.on_relay("import", bad_path, check=False)
            self.assertEqual(proc.returncode, 65, f"{n} bytes: {proc.stderr}")
        self.assertEqual(self.relay_files(), {})

    def rewrite(self, path, edit=lambda events: events, tamper=lambda m: None):
        """Re-encodes a bundle with its event lines edited and its manifest made to agree
        with them, then tampered with."""
        manifest, *events = unzstd(path).decode().splitlines()
        events = edit(events)
        body = "".join(e + "\n" for e in events)
        m = json.loads(manifest)
        m.update(event_count=len(events), events_bytes=len(body.encode()),
                 events_sha256=hashlib.sha256(body.encode()).hexdigest())
        tamper(m)
        out = os.path.join(self.dir, "edited.gbx")
        with open(out, "wb") as f:
            f.write(seal(zstd((json.dumps(m) + "\n" + body).encode())))
        return out

    def test_manifest_that_disagrees_with_the_body_is_refused(self):
        self.record(4)
        path = self.export()
        cases = [(lambda m: m.update(event_count=m["event_count"] + 1), "event_count"),
                 (lambda m: m.update(events_sha256="0" * 64), "events_sha256"),
                 (lambda m: m.update(first_recorded_at="2020-01-01T00:00:00.000Z"),
                  "first_recorded_at"),
                 (lambda m: m.update(schemas=[]), "schemas")]
        for tamper, why in cases:
            proc = self.on_relay("import", self.rewrite(path, tamper=tamper), check=False)
            self.assertEqual(proc.returncode, 65, why)
            self.assertIn(why, proc.stderr)
        self.assertEqual(self.relay_files(), {})
        self.on_relay("import", self.rewrite(path))  # an honest re-encoding passes
        self.assertEqual(len(self.relay_events()), 4)

    def test_lines_of_unknown_schemas_and_duplicate_ids_refuse_the_whole_bundle(self):
        schemas = os.path.join(self.dir, "schemas")
        os.makedirs(schemas)
        with open(os.path.join(schemas, "deploy.json"), "w") as f:
            json.dump({"$schema": "http://json-schema.org/draft-07/schema#",
                       "$id": "iglu:com.example/deploy/jsonschema/1-0-0", "type": "object",
                       "additionalProperties": False,
                       "properties": {"target": {"type": "string", "x-privacy": "clear"}}}, f)
        self.record(2)
        self.run_gb("--schemas", schemas, "record", "deploy", "--field", "target=prod")
        path = self.export()
        proc = self.on_relay("import", path, check=False)
        self.assertEqual(proc.returncode, 65)
        self.assertIn("line 4: schema iglu:com.example/deploy/jsonschema/1-0-0 is not known",
                      proc.stderr)
        self.assertEqual(self.relay_files(), {})
        self.on_relay("--schemas", schemas, "import", path)
        self.assertEqual(len(self.relay_events()), 3)

        dup = self.rewrite(path, edit=lambda events: events + events[:1])
        proc = self.on_relay("--schemas", schemas, "import", dup, check=False)
        self.assertEqual(proc.returncode, 65)
        self.assertIn("duplicate event_id", proc.stderr)

    def test_decompression_bombs_stop_at_the_limits(self):
        zeros = os.path.join(self.dir, "zeros")
        with open(zeros, "wb") as f:
            f.write(bytes(8_000_000))
        # From a file, zstd declares the content size: refused before decompressing.
        declared = seal(subprocess.run(["zstd", "-q", "-c", "--check", zeros],
                                       capture_output=True, check=True).stdout)
        # From a pipe it cannot: the reader stops at the line limit as the bytes arrive.
        streamed = seal(zstd(read(zeros)))
        self.assertLess(len(streamed), 2000)
        path = os.path.join(self.dir, "bomb.gbx")
        for bomb, flags, why in [
                (declared, ["--max-bytes", "1MiB"], "declares more than max_bytes (1048576)"),
                (streamed, [], "longer than max_line_bytes (1048576)"),
                (streamed, ["--max-line-bytes", "64KiB"], "longer than max_line_bytes (65536)")]:
            with open(path, "wb") as f:
                f.write(bomb)
            proc = self.on_relay("import", path, *flags, check=False)
            self.assertEqual(proc.returncode, 65, proc.stderr)
            self.assertIn(why, proc.stderr)
        self.assertEqual(self.relay_files(), {})


class InspectBundleTest(BundleCase):
    def test_every_view_reads_a_bundle_and_nothing_is_written(self):
        self.record(6, phase_pairs=1)
        path = self.export()
        lines = unzstd(path).decode().splitlines()[1:]
        nowhere = os.path.join(self.dir, "never", "journal.db")
        run = lambda *a: self.run_gb("--journal", nowhere, *a, journal=False)
        summary = json.loads(run("inspect", path, "--format", "json").stdout)
        self.assertEqual(summary["events_total"], 8)
        self.assertEqual(summary["by_state"]["pending"], 8)
        self.assertEqual(run("inspect", "events", path, "--format", "ndjson").stdout.splitlines(),
                         lines)
        self.assertEqual(run("inspect", path, "events", "--format", "ndjson").stdout.splitlines(),
                         lines)
        table = run("inspect", "events", path)
        self.assertIn("started", table.stdout)
        self.assertIn("8 event(s) from install", table.stderr)
        before = sorted(os.listdir(self.dir))
        event_id = json.loads(lines[0])["event_id"]
        payload = json.loads(run("inspect", "payload", path, "--format", "json").stdout)
        self.assertEqual(sum(b["events"] for b in payload["batches"]), 8)
        explained = json.loads(run("inspect", "explain", event_id, path, "--format", "json").stdout)
        self.assertEqual(explained["event_id"], event_id)
        self.assertEqual(json.loads(run("inspect", "ledger", path, "--format", "json").stdout)
                         ["entries"], [])
        self.assertEqual(json.loads(run("inspect", "open-spans", path, "--format",
                                        "json").stdout)["open_spans"], [])  # the span completed
        self.assertIn("fields", json.loads(run("inspect", "privacy", path, "--format",
                                               "json").stdout))
        report = os.path.join(self.dir, "report.html")
        run("inspect", "report", path, "--html", report)
        self.assertIn("<html", read(report).decode())
        # No view wrote anything but the report: no journal, no sidecar, nothing in the cwd.
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(before + ["report.html"]))
        self.assertFalse(os.path.exists(os.path.dirname(nowhere)))

    def test_a_damaged_bundle_is_refused_by_inspect(self):
        self.record(2)
        path = self.export()
        data = bytearray(read(path))
        data[len(data) // 2] ^= 0xFF
        with open(path, "wb") as f:
            f.write(data)
        proc = self.run_gb("inspect", path, check=False)
        self.assertEqual(proc.returncode, 65)
        self.assertIn("refused", proc.stderr)
