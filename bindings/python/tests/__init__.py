"""Tests of the Python package; helpers shared by the test modules."""
import os


def bin_env():
    """The environment for running the glassbox binary from a test. A sanitized build preloads
    its sanitizer runtime into python (for the library); clang's sanitized binary carries its
    own, and refuses to start with a second one preloaded."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env
