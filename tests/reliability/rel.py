"""Shared settings of the reliability suite: short form by default, GLASSBOX_LONG=1 for the
long (release) form."""
import os

LONG = os.environ.get("GLASSBOX_LONG") == "1"
SANITIZED = os.environ.get("GLASSBOX_SANITIZED") == "1"
SHIM = os.environ.get("GLASSBOX_SHIM", "")


def size(short, long):
    """The short or the long figure, as this run asks."""
    return long if LONG else short
