"""`cmake --install` into a temporary prefix, then use the installation the way others would:
a separate CMake project (find_package), a pkg-config build, the installed binary and the
installed Python package. Environment: GLASSBOX_BUILD_DIR, GLASSBOX_SOURCE_DIR, CMAKE_COMMAND,
GLASSBOX_VERSION."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BUILD = os.environ["GLASSBOX_BUILD_DIR"]
SOURCE = os.environ["GLASSBOX_SOURCE_DIR"]
CMAKE = os.environ.get("CMAKE_COMMAND", "cmake")
VERSION = os.environ["GLASSBOX_VERSION"]


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="glassbox-install-")
        cls.prefix = os.path.join(cls.dir, "prefix")
        run([CMAKE, "--install", BUILD, "--prefix", cls.prefix])
        cls.env = {k: v for k, v in os.environ.items()
                   if k not in ("DO_NOT_TRACK", "GLASSBOX_CONSENT", "GLASSBOX_JOURNAL",
                                "GLASSBOX_LIBRARY", "LD_LIBRARY_PATH")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def events(self, journal):
        out = run([self.path("bin", "glassbox"), "--journal", journal, "inspect", "events",
                   "--format", "ndjson"], env=self.env)
        return [json.loads(line) for line in out.splitlines() if line]

    def test_layout(self):
        for rel in ("bin/glassbox", "lib/libglassbox.so", f"lib/libglassbox.so.0",
                    f"lib/libglassbox.so.{VERSION}", "include/glassbox/glassbox.h",
                    "include/glassbox/recorder.h", "include/glassbox/status.h",
                    "include/glassbox/export.h", "lib/pkgconfig/glassbox.pc",
                    "lib/cmake/glassbox/glassboxConfig.cmake",
                    "lib/cmake/glassbox/glassboxConfigVersion.cmake",
                    "share/glassbox/schemas/dev.glassbox/cli_event/jsonschema/1-0-0",
                    "share/man/man1/glassbox.1", "share/man/man1/glassbox-record.1",
                    "share/bash-completion/completions/glassbox",
                    "lib/python3/dist-packages/glassbox/__init__.py"):
            self.assertTrue(os.path.exists(self.path(rel)), rel)
        self.assertEqual("libglassbox.so.0", os.readlink(self.path("lib", "libglassbox.so")))

    def test_find_package_consumer_builds_and_records(self):
        build = os.path.join(self.dir, "consumer")
        run([CMAKE, "-S", os.path.join(SOURCE, "tests", "consumer"), "-B", build, "-G", "Ninja",
             f"-DCMAKE_PREFIX_PATH={self.prefix}", "-DCMAKE_BUILD_TYPE=Release"], env=self.env)
        run([CMAKE, "--build", build], env=self.env)
        journal = os.path.join(self.dir, "consumer.db")
        self.assertIn(f"consumer_c {VERSION}: ok",
                      run([os.path.join(build, "consumer_c"), journal], env=self.env))
        self.assertIn(f"consumer_cxx {VERSION}: ok",
                      run([os.path.join(build, "consumer_cxx"), journal], env=self.env))
        apps = [e["context"]["app_name"] for e in self.events(journal)]
        self.assertEqual(["consumer-c"] * 3 + ["consumer-cxx"] * 3, apps)

    def test_pkg_config_build(self):
        env = dict(self.env, PKG_CONFIG_PATH=self.path("lib", "pkgconfig"))
        self.assertEqual(VERSION, run(["pkg-config", "--modversion", "glassbox"], env=env).strip())
        flags = run(["pkg-config", "--cflags", "--libs", "glassbox"], env=env).split()
        exe = os.path.join(self.dir, "pc_consumer")
        run(["cc", "-std=c99", "-Wall", "-Werror", os.path.join(SOURCE, "tests", "consumer", "main.c"),
             "-o", exe, *flags], env=env)
        journal = os.path.join(self.dir, "pc.db")
        env["LD_LIBRARY_PATH"] = self.path("lib")
        self.assertIn(": ok", run([exe, journal], env=env))
        self.assertEqual(3, len(self.events(journal)))

    def test_installed_python_package_finds_the_library_on_the_loader_path(self):
        env = dict(self.env, PYTHONPATH=self.path("lib", "python3", "dist-packages"),
                   LD_LIBRARY_PATH=self.path("lib"), PYTHONDONTWRITEBYTECODE="1")
        journal = os.path.join(self.dir, "py.db")
        code = ("import glassbox, sys; print(glassbox.__file__); print(glassbox.library_version());"
                f"r = glassbox.Recorder({journal!r}, errors='raise');"
                "print(r.record('cli_event', {'command': 'py'}))")
        out = run([sys.executable, "-c", code], env=env, cwd=self.dir).splitlines()
        self.assertTrue(out[0].startswith(self.prefix), out[0])
        self.assertEqual(VERSION, out[1])
        self.assertEqual([out[2]], [e["event_id"] for e in self.events(journal)])


if __name__ == "__main__":
    unittest.main()
