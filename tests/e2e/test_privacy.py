"""Privacy hardening through the real binary: the canary sweep over every clear-text field and
every file and view glassbox produces, the privacy audit, the install key, refused journals."""
import hashlib
import json
import os
import re
import sqlite3
import stat
import subprocess

from replay_helpers import ReplayCase

# (kind, input, substrings that must never appear anywhere glassbox writes)
CANARIES = [
    ("private_key", "-----BEGIN RSA PRIVATE KEY-----\nCnryKeyBody4242zz\n"
                    "-----END RSA PRIVATE KEY-----", ["CnryKeyBody4242zz"]),
    ("url_credentials", "postgres://cnryuser1:CnryPw7731@db.example.net/x",
     ["cnryuser1", "CnryPw7731"]),
    ("authorization", "Authorization: Basic Q25yeUF1dGg5OTIx", ["Q25yeUF1dGg5OTIx"]),
    ("authorization", "Bearer CnryBearer0123456789abcdef", ["CnryBearer0123456789abcdef"]),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJjbnJ5IjoiMTIzNDUifQ.Q25yeVNpZ25hdHVyZTQy",
     ["eyJjbnJ5IjoiMTIzNDUifQ", "Q25yeVNpZ25hdHVyZTQy"]),
    ("aws_key", "AKIACNRY000000000042", ["AKIACNRY000000000042"]),
    ("github_token", "ghp_Cnry0123456789abcdefghijklmnopqrstu", ["Cnry0123456789abcdefghij"]),
    ("gitlab_token", "glpat-CnryGl0123456789abcdefgh", ["CnryGl0123456789"]),
    ("slack_token", "xoxb-424242424242-CnrySlack0123", ["CnrySlack0123"]),
    ("google_api_key", "AIzaCnryGoogleKey0123456789abcdefghijkl", ["CnryGoogleKey"]),
    ("assignment", "DB_PASSWORD=CnryPass5150", ["CnryPass5150"]),
    ("assignment", "--api-token CnryFlagTok99", ["CnryFlagTok99"]),
    ("card", "4111 1111 1111 1111", ["4111 1111 1111 1111", "4111111111111111"]),
    ("email", "cnry.person@example.org", ["cnry.person"]),
    ("ip", "203.0.113.77", ["203.0.113.77"]),
    ("ip", "2001:db8:cafe::77", ["2001:db8:cafe::77"]),
    ("ip", "::ffff:198.51.100.77", ["198.51.100.77"]),
    ("ip", "fe80::77%eth0", ["fe80::77"]),
    ("ip", "http://[2001:db8::1:77]:8080/", ["2001:db8::1:77"]),
    ("mac", "00:1a:2b:3c:4d:77", ["00:1a:2b:3c:4d:77"]),
    ("home_path", "/home/cnryuser77/src", ["cnryuser77"]),
    ("home_path", "C:\\Users\\CnryWin77\\AppData", ["CnryWin77"]),
]


def set_path(obj, path, value):
    """Sets `value` at a `schema show` path (a.b, list[], map.*), creating what is missing."""
    parts = re.findall(r"[^.\[\]]+|\[\]", path)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt = None if last else ([] if parts[i + 1] == "[]" else {})
        if part == "[]":
            if not obj:
                obj.append(nxt if not last else value)
            elif last:
                obj[0] = value
            obj = obj[0] if not last else obj
        else:
            key = "k" if part == "*" else part
            if last:
                obj[key] = value
            else:
                obj = obj.setdefault(key, nxt)


class PrivacyCase(ReplayCase):
    def schema_fields(self):
        """{uri: [(path, type, privacy)]} of every built-in schema."""
        out = {}
        for uri in self.run_gb("schema", "show").stdout.split():
            shown = json.loads(self.run_gb("schema", "show", uri, "--format", "json").stdout)
            out[uri] = [(f["path"], f["type"], f["privacy"]) for f in shown["fields"]]
        return out

    def input_with(self, fields, value):
        """An input with `value` in every clear-text string field, plain filler elsewhere."""
        data = {}
        for path, typ, privacy in fields:
            if "(recursive)" in typ or "string" not in typ:
                continue
            set_path(data, path, value if privacy == "clear" else "filler")
        return data

    def inspect_outputs(self):
        """stdout+stderr of every inspect view, in every format it offers."""
        outputs = {}
        help_text = self.run_gb("inspect", "--help").stdout
        views = [""] + re.findall(r"^  (\w[\w-]*)\s", help_text.split("Subcommands:")[-1], re.M)
        for view in views:
            args = ["inspect"] + ([view] if view else [])
            view_help = self.run_gb(*args, "--help").stdout
            formats = re.search(r"--format TEXT:\{([^}]*)\}", view_help)
            for fmt in (formats.group(1).split(",") if formats else [None]):
                cmd = args + (["--format", fmt] if fmt else [])
                proc = self.run_gb(*cmd, check=False)
                outputs[" ".join(cmd)] = proc.stdout + proc.stderr
        return outputs

    def written_outputs(self, event_ids):
        """Everything else glassbox writes about the journal: payload files, the HTML report,
        explanations of events, and what a collector on 127.0.0.1 receives from replay."""
        out = {}
        payload_dir = os.path.join(self.dir, "payload")
        self.run_gb("inspect", "payload", "--out", payload_dir)
        for name in os.listdir(payload_dir):
            with open(os.path.join(payload_dir, name), "rb") as f:
                out["payload/" + name] = f.read()
        report = os.path.join(self.dir, "report.html")
        self.run_gb("inspect", "report", "--html", report)
        with open(report, "rb") as f:
            out["report.html"] = f.read()
        for event_id in event_ids:
            for fmt in ("table", "json"):
                proc = self.run_gb("inspect", "explain", event_id, "--format", fmt)
                out[f"explain {event_id} {fmt}"] = (proc.stdout + proc.stderr).encode()
        for cmd in (["doctor"], ["doctor", "--format", "json"], ["consent", "status"]):
            proc = self.run_gb(*cmd, check=False)
            out[" ".join(cmd)] = (proc.stdout + proc.stderr).encode()
        self.write_config(compression="gzip")
        proc = self.replay()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out["replay output"] = (proc.stdout + proc.stderr).encode()
        self.assertTrue(self.collector.requests)
        for i, r in enumerate(self.collector.requests):
            out[f"upload {i} raw"] = r["raw"]
            out[f"upload {i} body"] = r["body"]
            out[f"upload {i} headers"] = json.dumps(r["headers"]).encode()
        # A bundle carried across an air gap: the file, and its decompressed lines.
        bundle = os.path.join(self.dir, "all.gbx")
        self.run_gb("export", "--all", "--out", bundle)
        with open(bundle, "rb") as f:
            out["bundle"] = f.read()
        out["bundle decompressed"] = subprocess.run(["zstd", "-q", "-dc", bundle],
                                                    capture_output=True, check=True).stdout
        return out


class CanaryTest(PrivacyCase):
    def test_no_secret_in_any_clear_field_reaches_any_file_or_view_and_counts_match(self):
        schemas = self.schema_fields()
        self.run_gb("record", "cli_event", "--field", "command=warmup")
        # A reader held open keeps the WAL and shared-memory files on disk to be searched.
        holder = sqlite3.connect(self.journal)
        holder.execute("SELECT count(*) FROM meta").fetchall()
        expected = []  # (kind, count) per event, in journal order
        lines = []
        for uri, fields in schemas.items():
            n_clear = sum(1 for p, t, c in fields if c == "clear" and "string" in t)
            self.assertGreater(n_clear, 0, uri)
            for kind, value, _ in CANARIES:
                lines.append(json.dumps({"schema": uri, "data": self.input_with(fields, value)}))
                expected.append({kind: n_clear})
        proc = self.run_gb("record", "--ndjson", "-", input="\n".join(lines) + "\n")
        self.assertIn(f"accepted {len(lines)}, refused 0", proc.stdout)
        # Spans: the completed event carries the started data's redactions plus error_type's.
        cli_fields = schemas["iglu:dev.glassbox/cli_event/jsonschema/1-0-0"]
        n_cli = sum(1 for p, t, c in cli_fields if c == "clear" and "string" in t)
        for kind, value, _ in CANARIES:
            data = json.dumps(self.input_with(cli_fields, value))
            span = self.run_gb("start", "cli_event", "--data", data).stdout.strip()
            self.run_gb("complete", span, "--status", "failed", "--field", "error_type=" + value)
            expected += [{kind: n_cli}, {kind: n_cli + 1}]

        events = self.events()[1:]  # after the warm-up event
        self.assertEqual([e.get("redactions", {}) for e in events], expected)
        outputs = {view: text.encode() for view, text in self.inspect_outputs().items()}
        self.assertIn("inspect events --format ndjson", outputs)
        self.assertIn("inspect privacy --format json", outputs)
        outputs.update(self.written_outputs([e["event_id"] for e in events[:len(CANARIES)]]))
        self.assertEqual(len(self.collector.accepted_events()), len(events) + 1)
        # After replay: the journal now also holds the ledger and the new event states.
        blobs = self.journal_files_bytes()
        self.assertTrue({"journal.db", "journal.db-wal", "journal.db-shm"} <= set(blobs))
        # Positive controls: the stored lines and the upload bodies are plain bytes, so a
        # search can find what is in them.
        self.assertIn(b"[redacted:private_key]", b"".join(blobs.values()))
        self.assertIn(b"[redacted:private_key]", outputs["upload 0 body"])
        self.assertIn(b"[redacted:private_key]", outputs["bundle decompressed"])
        for _, _, secrets in CANARIES:
            for secret in secrets:
                for name, data in list(blobs.items()) + list(outputs.items()):
                    self.assertNotIn(secret.encode(), data, f"{secret!r} in {name}")
        holder.close()

    def test_refusals_name_the_field_never_the_value(self):
        for kind, value, secrets in CANARIES:
            proc = self.run_gb("record", "cli_event", "--field", "command=" + value,
                               "--field", "nope=" + value, check=False)
            self.assertEqual(proc.returncode, 65)
            self.assertIn("nope", proc.stderr)
            for secret in secrets:
                self.assertNotIn(secret, proc.stderr)
        self.assertEqual(self.events(), [])


class AuditTest(PrivacyCase):
    def test_audit_reverses_every_digest_of_a_dictionary_word(self):
        words = ["--full-refresh", "--select", "--no-color", "42", "9999", "true", "abc", "x-1",
                 "tap-github", "target-postgres", "1.2.3", "-v", "--help", "run"]
        for i in range(0, len(words), 4):
            self.run_gb("record", "cli_event", "--field", "command=run",
                        "--field", "args:=" + json.dumps(words[i:i + 4]),
                        "--field", 'plugins:=[{"name": "p", "config": {}}]',
                        "--field", "project_config:=false")
        audit = json.loads(self.run_gb("inspect", "privacy", "--format", "json").stdout)
        fields = {f["field"]: f for f in audit["fields"]}
        args = fields["args[]"]
        self.assertEqual(args["distinct"], len(words))
        self.assertEqual(sorted(m["input"] for m in args["matches"]), sorted(words))
        for m in args["matches"]:
            self.assertEqual(m["digest"], hashlib.md5(m["input"].encode()).hexdigest())
        self.assertEqual(args["verdict"], "clear_text")
        self.assertEqual(fields["plugins[].config"]["matches"][0]["input"], "{}")
        self.assertEqual(fields["project_config"]["matches"][0]["input"], "false")
        text = self.run_gb("inspect", "privacy").stdout
        self.assertIn("args[]  (md5): EFFECTIVELY CLEAR TEXT", text)
        self.assertIn("Hashing is not anonymization", text)

    def test_audit_does_not_claim_random_values(self):
        self.run_gb("record", "cli_event", "--field", "command=run",
                    "--field", 'args:=["Zq81-x0Kw-77aa", "Mm2p-QQ41-xt0a", "--force"]')
        fields = {f["field"]: f for f in
                  json.loads(self.run_gb("inspect", "privacy", "--format", "json").stdout)["fields"]}
        self.assertEqual(fields["args[]"]["reversed"], 1)
        self.assertEqual(fields["args[]"]["verdict"], "partly_guessable")
        self.assertEqual(fields["project_config"]["verdict"], "no_values")


class InstallKeyTest(PrivacyCase):
    def test_the_hmac_key_never_appears_in_any_inspect_output(self):
        self.run_gb("record", "cli_event", "--field", "command=run",
                    "--field", 'args:=["--x"]')
        key = sqlite3.connect(self.journal).execute(
            "SELECT value FROM meta WHERE key = 'hmac_key'").fetchone()[0]
        self.assertRegex(key, r"^[0-9a-f]{64}$")
        raw = bytes.fromhex(key)
        outputs = {view: text.encode() for view, text in self.inspect_outputs().items()}
        self.assertGreaterEqual(len(outputs), 6)
        ids = [e["event_id"] for e in self.events()]
        outputs.update(self.written_outputs(ids))
        for view, data in outputs.items():
            self.assertNotIn(key.encode(), data.lower(), view)
            self.assertNotIn(raw, data, view)


class JournalFileTest(PrivacyCase):
    def test_a_group_writable_journal_is_refused_with_a_clear_message(self):
        self.run_gb("record", "cli_event", "--field", "command=CnryCommand42")
        os.chmod(self.journal, 0o660)
        proc = self.run_gb("record", "cli_event", "--field", "command=run", check=False)
        self.assertEqual(proc.returncode, 74)
        self.assertEqual(proc.stderr.strip(), f"glassbox: {self.journal}: writable by group or "
                                              "others; fix with chmod 600")
        proc = self.run_gb("inspect", "events", check=False)
        self.assertEqual(proc.returncode, 74)
        self.assertNotIn("CnryCommand42", proc.stdout + proc.stderr)

    def test_a_planted_symlink_is_not_followed(self):
        os.makedirs(os.path.dirname(self.journal), mode=0o700)
        victim = os.path.join(self.dir, "victim")
        with open(victim, "w") as f:
            f.write("precious")
        os.symlink(victim, self.journal)
        proc = self.run_gb("record", "cli_event", "--field", "command=run", check=False)
        self.assertEqual(proc.returncode, 74)
        self.assertIn("is a symlink; refusing to follow it", proc.stderr)
        with open(victim) as f:
            self.assertEqual(f.read(), "precious")

    def test_every_file_is_private_under_umask_000(self):
        old = os.umask(0)
        try:
            self.run_gb("record", "cli_event", "--field", "command=run")
            holder = sqlite3.connect(self.journal)  # keeps -wal and -shm while we look
            holder.execute("SELECT count(*) FROM meta").fetchall()
            self.run_gb("record", "cli_event", "--field", "command=run")
            self.run_gb("consent", "on")
            bundle, key = os.path.join(self.dir, "out.gbx"), os.path.join(self.dir, "site.key")
            self.run_gb("keygen", "--out", key)
            self.run_gb("export", "--out", bundle, "--sign", key)
        finally:
            os.umask(old)
        for path in (bundle, key):
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
        names = os.listdir(os.path.dirname(self.journal))
        self.assertIn("journal.db-wal", names)
        self.assertIn("journal.db.replay-lock", names)  # export holds the replay lock
        for name in names:
            mode = stat.S_IMODE(os.stat(os.path.join(os.path.dirname(self.journal), name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.journal)).st_mode), 0o700)
        holder.close()


class LintTest(PrivacyCase):
    def test_lint_warns_on_clear_fields_named_like_secrets(self):
        folder = os.path.join(self.dir, "schemas")
        os.makedirs(folder)
        names = ["api_token", "client_ip", "user_email", "cache_path", "db_password", "hostname",
                 "session_cookie", "auth_header", "phone_number", "mac", "home_address",
                 "zip", "monkey", "tip", "command", "machine", "keyboard"]
        schema = {"$id": "iglu:dev.example/probe/jsonschema/1-0-0", "type": "object",
                  "additionalProperties": False,
                  "properties": {n: {"type": "string", "x-privacy": "clear"} for n in names}}
        with open(os.path.join(folder, "probe.json"), "w") as f:
            json.dump(schema, f)
        proc = self.run_gb("schema", "lint", folder)
        warned = set(re.findall(r"warning: field (\w+) is clear text", proc.stdout))
        self.assertEqual(warned, set(names[:11]))


class DeletionTest(PrivacyCase):
    def record_marked(self, n, tag):
        lines = "".join(json.dumps({"schema": "cli_event",
                                    "data": {"command": f"cmd{tag}{i:04d}"}}) + "\n"
                        for i in range(n))
        proc = self.run_gb("record", "--ndjson", "-", input=lines)
        self.assertIn(f"accepted {n}, refused 0", proc.stdout)

    def test_purged_and_consent_off_events_leave_no_bytes_in_any_journal_file(self):
        # 300 events: blocks sealed from tail rows (their old pages freed, unzeroed) and a tail.
        self.record_marked(300, "ZQXPURGE")
        self.assertIn(b"ZQXPURGE", b"".join(self.journal_files_bytes().values()))  # control
        self.assertIn("deleted 300 event(s)", self.run_gb("purge", "--all").stdout)
        for name, data in self.journal_files_bytes().items():
            self.assertNotIn(b"ZQXPURGE", data, name)

        self.record_marked(300, "ZQXCONSENT")
        self.assertIn(b"ZQXCONSENT", b"".join(self.journal_files_bytes().values()))
        self.assertIn("deleted 300 pending event(s)", self.run_gb("consent", "off").stdout)
        for name, data in self.journal_files_bytes().items():
            self.assertNotIn(b"ZQXCONSENT", data, name)
