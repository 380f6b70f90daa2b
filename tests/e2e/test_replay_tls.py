"""glassbox replay over TLS through nginx (Debian's nginx-light) with a CA made by openssl here.

nginx terminates TLS on 127.0.0.1 and proxies to the project's collector. Its listening socket
is bound by the test and handed over through nginx's NGINX=fd; inheritance (which needs the
master process), so there is no port race; the test reads nginx's log on a pipe until the
master says it started its worker, so there is no waiting loop either.
"""
import os
import shutil
import socket
import subprocess
import threading
import unittest

from replay_helpers import ReplayCase

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=d)


def make_server_cert(d, ca):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=d)


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  client_max_body_size 8m;
  client_body_buffer_size 8m;  # bodies stay in memory: the worker may not enter our temp dir
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {d}/server.pem;
    ssl_certificate_key {d}/server.key;
    location /v1/events {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed (scripts/deps.txt)")
class ReplayTlsTest(ReplayCase):
    def setUp(self):
        super().setUp()
        self.tls = os.path.join(self.dir, "tls")
        os.makedirs(self.tls)
        make_ca(self.tls, "ca")
        make_ca(self.tls, "wrong-ca")
        make_server_cert(self.tls, "ca")
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}/v1/events"
        conf = os.path.join(self.tls, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=self.tls, port=self.port, upstream=self.collector.port))
        env = dict(os.environ, NGINX=f"{listener.fileno()};")
        self.nginx = subprocess.Popen([NGINX, "-e", "stderr", "-p", self.tls, "-c", conf],
                                      env=env, pass_fds=[listener.fileno()],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      text=True)
        listener.close()  # nginx holds its own copy
        self.addCleanup(self.stop_nginx)
        log = []
        for line in self.nginx.stderr:  # blocking reads; EOF if nginx dies
            log.append(line)
            if "start worker process" in line:
                break
        else:
            self.fail("nginx did not start: " + "".join(log))
        # Keep draining the log so nginx never blocks on a full pipe.
        self.drain = threading.Thread(target=self.drain_log, daemon=True)
        self.drain.start()

    def drain_log(self):
        with self.nginx.stderr:
            self.nginx.stderr.read()

    def stop_nginx(self):
        self.nginx.terminate()
        self.nginx.wait(10)
        if hasattr(self, "drain"):
            self.drain.join(10)

    def test_events_arrive_once_over_tls_with_the_ca_made_here(self):
        self.write_config(self.url, ca_file=os.path.join(self.tls, "ca.pem"),
                          max_batch_events=3, compression="zstd")
        self.record(7)
        self.collector.push({"status": 503, "retry_after": "0"})
        self.assertEqual(self.replay().returncode, 75)
        proc = self.replay("-v")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("sent 7 event(s)", proc.stdout)
        self.assert_each_recorded_event_arrived_exactly_once()
        self.assert_ledger_matches_bodies_received()
        self.assertEqual(self.collector.requests[0]["headers"]["Content-Encoding"], "zstd")

    def test_a_wrong_ca_fails_with_exit_1_and_sends_nothing(self):
        self.write_config(self.url, ca_file=os.path.join(self.tls, "wrong-ca.pem"))
        self.record(2)
        proc = self.replay()
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr.lower(), "certificate|ssl")
        self.assertEqual(self.collector.requests, [])
        self.assertEqual(len(self.events("pending")), 2)
