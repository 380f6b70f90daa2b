#!/usr/bin/env python3
"""A small fault-injecting telemetry collector for tests and the demo.

It accepts POSTs of glassbox batches (NDJSON, Content-Encoding zstd | gzip | identity),
checks that Idempotency-Key is the SHA-256 of the decompressed body, stores each accepted batch
once per key, and answers from a script of faults:

    {"status": 503, "retry_after": "120"}   a status (and optional Retry-After)
    {"status": 413}                          ... any status
    {"drop": true}                           read the body, close without answering
    {"hold": true}                           read the body, wait until release() (or 30 s)

Scripted answers are used one per request, in order; then every request gets 200 (or 413 when
the batch has more events than max_events). Run standalone for the demo:

    python3 tests/e2e/collector.py --port 0 --store DIR [--port-file FILE]
"""
import argparse
import gzip
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading


def decompress(body, encoding):
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "zstd":
        # The Debian zstd tool: Python 3.11's standard library has no zstd module.
        return subprocess.run(["zstd", "-dcq"], input=body, capture_output=True,
                              check=True).stdout
    raise ValueError(f"unknown Content-Encoding {encoding!r}")


class Collector:
    def __init__(self, port=0, store=None, max_events=None, log=None, verify=True):
        self.lock = threading.Lock()
        self.script = []
        self.requests = []       # every request: dict(key, headers, body, events, answer)
        self.batches = {}        # Idempotency-Key -> decompressed body, first accepted copy
        self.duplicates = 0      # accepted bodies whose key was already stored
        self.bad_keys = 0        # bodies whose Idempotency-Key is not their SHA-256
        self.max_events = max_events
        self.verify = verify     # False (benchmarks): count bytes, skip decompression and checks
        self.wire_bytes = 0
        self.store = store
        self.log = log
        self.received = threading.Event()  # set whenever a body has been read
        self.release = threading.Event()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the transport expects
            disable_nagle_algorithm = True

            def do_POST(self):
                collector.handle(self)

            def log_message(self, fmt, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        # A client that gave up (timeout, kill -9) is part of the tests, not an error.
        self.server.handle_error = lambda request, address: None
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def push(self, *answers):
        with self.lock:
            self.script.extend(answers)

    # Views for tests.
    def accepted_events(self):
        """Every event line of every distinct accepted batch, in arrival order."""
        with self.lock:
            return [json.loads(line) for body in self.batches.values()
                    for line in body.decode().splitlines()]

    def statuses(self):
        with self.lock:
            return [r["answer"] for r in self.requests]

    def handle(self, h):
        length = int(h.headers.get("Content-Length", "0"))
        raw = h.rfile.read(length)
        if not self.verify:
            with self.lock:
                self.wire_bytes += len(raw)
                self.requests.append({"key": h.headers.get("Idempotency-Key", ""), "answer": 200})
            h.send_response(200)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        encoding = h.headers.get("Content-Encoding", "")
        key = h.headers.get("Idempotency-Key", "")
        body = decompress(raw, encoding)
        lines = body.decode().splitlines()
        with self.lock:
            answer = self.script.pop(0) if self.script else {}
            if not answer and self.max_events is not None and len(lines) > self.max_events:
                answer = {"status": 413}
            record = {"key": key, "path": h.path, "headers": dict(h.headers), "raw": raw,
                      "body": body,
                      "events": len(lines), "answer": answer.get("status", "drop" if
                                                                 answer.get("drop") else 200)}
            self.requests.append(record)
        self.received.set()
        if answer.get("hold"):
            self.release.wait(30)
        if answer.get("drop"):
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        status = answer.get("status", 200)
        if status // 100 == 2 and not self.accept(key, body):
            status = 400
        reply = json.dumps({"accepted": status // 100 == 2, "events": len(lines)}).encode()
        h.send_response(status)
        if "retry_after" in answer:
            h.send_header("Retry-After", answer["retry_after"])
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(reply)))
        h.end_headers()
        h.wfile.write(reply)
        if self.log:
            print(f"POST {h.path} {status} events={len(lines)} key={key[:12]}... "
                  f"encoding={encoding or 'identity'} bytes={len(raw)}", file=self.log, flush=True)

    def accept(self, key, body):
        with self.lock:
            if hashlib.sha256(body).hexdigest() != key:
                self.bad_keys += 1
                return False
            if key in self.batches:
                self.duplicates += 1
                return True
            self.batches[key] = body
        if self.store:
            with open(os.path.join(self.store, key + ".ndjson"), "wb") as f:
                f.write(body)
        return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--store", required=True, help="folder for accepted batches (KEY.ndjson)")
    p.add_argument("--port-file", help="write the bound port here once listening")
    p.add_argument("--max-events", type=int, help="answer 413 to larger batches")
    args = p.parse_args()
    os.makedirs(args.store, exist_ok=True)
    c = Collector(args.port, args.store, args.max_events, log=sys.stdout)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(c.port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"collector listening on {c.url}", flush=True)
    try:
        c.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
