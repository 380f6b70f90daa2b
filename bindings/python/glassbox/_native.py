"""ctypes declarations of the C API (include/glassbox/glassbox.h) and how the library is found."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Optional

ID_SIZE = 37  # GLASSBOX_ID_SIZE

_lock = threading.Lock()
_cache: dict[str, ctypes.CDLL] = {}


class Counters(ctypes.Structure):
    _fields_ = [("recorded", ctypes.c_uint64), ("refused", ctypes.c_uint64),
                ("dropped", ctypes.c_uint64), ("skipped", ctypes.c_uint64)]


def _candidates(explicit: Optional[str]) -> list[str]:
    if explicit:
        return [explicit]
    env = os.environ.get("GLASSBOX_LIBRARY")
    if env:
        return [env]
    # The SONAME first: found through LD_LIBRARY_PATH, the ld.so cache and /usr/lib without
    # needing the development symlink; then whatever ctypes.util can locate.
    names = ["libglassbox.so.0"]
    found = ctypes.util.find_library("glassbox")
    if found:
        names.append(found)
    return names


def _declare(lib: ctypes.CDLL) -> None:
    c_char_p, c_int, p = ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p
    sigs = {
        "glassbox_version": (c_char_p, []),
        "glassbox_status_name": (c_char_p, [c_int]),
        "glassbox_last_error": (c_char_p, []),
        "glassbox_options_new": (p, []),
        "glassbox_options_free": (None, [p]),
        "glassbox_options_set_journal": (c_int, [p, c_char_p]),
        "glassbox_options_set_schema_dir": (c_int, [p, c_char_p]),
        "glassbox_options_set_app": (c_int, [p, c_char_p, c_char_p]),
        "glassbox_options_set_runtime": (c_int, [p, c_char_p, c_char_p]),
        "glassbox_options_set_project_id": (c_int, [p, c_char_p]),
        "glassbox_options_set_full_durability": (c_int, [p, c_int]),
        "glassbox_options_set_buffered": (c_int, [p, c_int, ctypes.c_size_t]),
        "glassbox_recorder_open": (c_int, [p, ctypes.POINTER(p)]),
        "glassbox_recorder_close": (None, [p]),
        "glassbox_record": (c_int, [p, c_char_p, c_char_p, ctypes.c_char_p]),
        "glassbox_start": (c_int, [p, c_char_p, c_char_p, ctypes.c_char_p]),
        "glassbox_complete": (c_int, [p, c_char_p, c_char_p, ctypes.POINTER(ctypes.c_int64),
                                      c_char_p, ctypes.c_char_p]),
        "glassbox_flush": (c_int, [p]),
        "glassbox_recorder_counters": (c_int, [p, ctypes.POINTER(Counters)]),
        "glassbox_recorder_install_id": (c_char_p, [p]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def load(explicit: Optional[str] = None) -> ctypes.CDLL:
    """Loads libglassbox: `explicit`, else $GLASSBOX_LIBRARY, else the loader's search path.

    Raises OSError naming what was tried when no candidate loads."""
    tried = []
    for name in _candidates(explicit):
        with _lock:
            if name in _cache:
                return _cache[name]
            try:
                lib = ctypes.CDLL(name)
                _declare(lib)
            except (OSError, AttributeError) as e:
                tried.append(f"{name}: {e}")
                continue
            _cache[name] = lib
            return lib
    raise OSError("libglassbox not found (tried " + "; ".join(tried) +
                  "); set GLASSBOX_LIBRARY to its path")
