"""Recorder and Span: the Python face of the C API.

Telemetry must never hurt its host, so by default (errors="warn") a failure is reported as a
TelemetryWarning (shown once per call site by Python's default warning filters) and the call
returns "" instead of raising. errors="raise" raises glassbox.Error instead (for tests and
development); errors="ignore" only counts. An exception raised inside a span's `with` block is
always re-raised unchanged: a failure to record its completion never replaces it.
"""
from __future__ import annotations

import ctypes
import json
import os
import platform
import sys
import threading
import warnings
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Mapping, Optional, Type

from . import _native

ErrorMode = Literal["warn", "raise", "ignore"]


class Error(Exception):
    """A glassbox call failed. `code` is the C API's status name, e.g. "invalid_event".

    The message names fields, files and settings, never event values."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class TelemetryWarning(UserWarning):
    """A telemetry failure reported without interrupting the host (errors="warn")."""


@dataclass(frozen=True)
class Counters:
    """Events since the recorder was opened."""

    recorded: int = 0  # stored
    refused: int = 0  # invalid (schema, input, unknown span)
    dropped: int = 0  # valid but lost to a journal failure
    skipped: int = 0  # consent is off


def _b(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else s.encode("utf-8")


class Recorder:
    """Records usage events into a glassbox journal through libglassbox.

    Every event is validated against its schema and anonymized inside the library before it is
    written. A Recorder may be shared between threads; close() must not race other calls.

    Args:
        journal: journal file; default $GLASSBOX_JOURNAL, else $XDG_DATA_HOME/glassbox/journal.db.
        app_name, app_version: the host application, sent in clear text as context.
        project_id: the host's project identifier, sent in clear text as context.
        schema_dir: a folder of extra schemas (Iglu layout or *.json).
        runtime_name, runtime_version: default "python" and this interpreter's version.
        full_durability: survive power loss too (fsync per event); slower.
        buffered: queue events for a background writer so record() never waits on disk;
            it writes 4,096 at a time or whatever has waited a second, and flush() and
            close() write the rest (queued events die with a killed process).
        buffer_max_events: how many may wait in buffered mode (None: the library's default);
            beyond that an event is dropped and counted rather than block.
        errors: "warn" (default), "raise" or "ignore"; see the module docstring.
        library: path of libglassbox; default $GLASSBOX_LIBRARY, else the loader's search path.
    """

    def __init__(self, journal: Optional[str] = None, *, app_name: Optional[str] = None,
                 app_version: Optional[str] = None, project_id: Optional[str] = None,
                 schema_dir: Optional[str] = None, runtime_name: Optional[str] = "python",
                 runtime_version: Optional[str] = None, full_durability: bool = False,
                 buffered: bool = False, buffer_max_events: Optional[int] = None,
                 errors: ErrorMode = "warn", library: Optional[str] = None) -> None:
        if errors not in ("warn", "raise", "ignore"):
            raise ValueError('errors must be "warn", "raise" or "ignore"')
        self._errors = errors
        self._handle: Optional[ctypes.c_void_p] = None
        self._lib: Optional[ctypes.CDLL] = None
        self._close_lock = threading.Lock()
        self.last_error = ""
        try:
            self._lib = _native.load(library)
        except OSError as e:
            self._fail(Error("library_not_found", str(e)))
            return
        if runtime_name == "python" and runtime_version is None:
            runtime_version = platform.python_version()
        self._open(journal, app_name, app_version, project_id, schema_dir, runtime_name,
                   runtime_version, full_durability, buffered, buffer_max_events or 0)

    def _open(self, journal, app_name, app_version, project_id, schema_dir, runtime_name,
              runtime_version, full_durability, buffered, buffer_max_events) -> None:
        lib = self._lib
        options = lib.glassbox_options_new()
        if not options:
            self._fail(Error("internal", "out of memory"))
            return
        try:
            lib.glassbox_options_set_journal(options, _b(journal))
            lib.glassbox_options_set_schema_dir(options, _b(schema_dir))
            lib.glassbox_options_set_app(options, _b(app_name), _b(app_version))
            lib.glassbox_options_set_runtime(options, _b(runtime_name), _b(runtime_version))
            lib.glassbox_options_set_project_id(options, _b(project_id))
            lib.glassbox_options_set_full_durability(options, 1 if full_durability else 0)
            lib.glassbox_options_set_buffered(options, 1 if buffered else 0, buffer_max_events)
            handle = ctypes.c_void_p()
            self._check(lib.glassbox_recorder_open(options, ctypes.byref(handle)))
            self._handle = handle
        except Error as e:
            self._fail(e)
        finally:
            lib.glassbox_options_free(options)

    @property
    def enabled(self) -> bool:
        """False when the library could not be loaded or the journal opened, or after close()."""
        return self._handle is not None

    @property
    def install_id(self) -> str:
        """This installation's random id, kept in the journal ("" when not enabled)."""
        if not self._handle:
            return ""
        raw = self._lib.glassbox_recorder_install_id(self._handle)
        return raw.decode("utf-8") if raw else ""

    def record(self, schema: str, data: Mapping[str, Any]) -> str:
        """Records one event; returns its id ("" when consent is off or on failure)."""
        return self._call_with_id("glassbox_record", schema, data)

    def start(self, schema: str, data: Mapping[str, Any]) -> "Span":
        """Records a `started` event and returns its Span (id "" when nothing was recorded)."""
        return Span(self, self._call_with_id("glassbox_start", schema, data))

    def span(self, schema: str, data: Mapping[str, Any]) -> "Span":
        """A span for a `with` block: started now, completed when the block ends.

        The completion's status is `success`, or `failed` with the exception's type name (never
        its message) when the block raises; the exception is re-raised. SystemExit completes
        with its exit code, KeyboardInterrupt as `aborted`."""
        return self.start(schema, data)

    def complete(self, span_id: str, status: str = "success", *,
                 exit_code: Optional[int] = None, error_type: Optional[str] = None) -> str:
        """Records the `completed` event of a span, also one started by another process."""
        return self._complete(span_id, status, exit_code, error_type, self._errors)

    def _complete(self, span_id: str, status: str, exit_code: Optional[int],
                  error_type: Optional[str], mode: ErrorMode) -> str:
        if not self._usable(mode):
            return ""
        code = ctypes.c_int64(exit_code) if exit_code is not None else None
        out = ctypes.create_string_buffer(_native.ID_SIZE)
        st = self._lib.glassbox_complete(self._handle, _b(span_id), _b(status),
                                         ctypes.byref(code) if code is not None else None,
                                         _b(error_type), out)
        return self._id_or_fail(st, out, mode)

    def flush(self) -> None:
        """Writes out what buffered mode holds (unbuffered, every event already is)."""
        if self._usable(self._errors):
            self._report(self._lib.glassbox_flush(self._handle), self._errors)

    def counters(self) -> Counters:
        """Counts of recorded, refused, dropped and skipped events since opening."""
        if not self._handle:
            return Counters()
        c = _native.Counters()
        self._report(self._lib.glassbox_recorder_counters(self._handle, ctypes.byref(c)),
                     self._errors)
        return Counters(c.recorded, c.refused, c.dropped, c.skipped)

    def close(self) -> None:
        """Writes out what buffered mode holds and closes the journal. Idempotent."""
        with self._close_lock:
            handle, self._handle = self._handle, None
        if handle:
            self._lib.glassbox_recorder_close(handle)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    # -- internals --------------------------------------------------------------------------

    def _call_with_id(self, fn: str, schema: str, data: Mapping[str, Any]) -> str:
        if not self._usable(self._errors):
            return ""
        try:
            payload = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            # The exception text may quote a value; only its kind is reported.
            self._fail(Error("invalid_event", f"data is not JSON ({type(e).__name__})"),
                       self._errors)
            return ""
        out = ctypes.create_string_buffer(_native.ID_SIZE)
        st = getattr(self._lib, fn)(self._handle, _b(schema), payload.encode("utf-8"), out)
        return self._id_or_fail(st, out, self._errors)

    def _id_or_fail(self, status: int, out: ctypes.Array, mode: ErrorMode) -> str:
        if not self._report(status, mode):
            return ""
        return out.value.decode("ascii")

    def _usable(self, mode: ErrorMode) -> bool:
        if self._handle:
            return True
        self._fail(Error("invalid_argument", self.last_error or "recorder is closed"), mode)
        return False

    def _check(self, status: int) -> None:
        if status != 0:
            name = self._lib.glassbox_status_name(status).decode("ascii")
            raise Error(name, self._lib.glassbox_last_error().decode("utf-8", "replace"))

    def _report(self, status: int, mode: ErrorMode) -> bool:
        try:
            self._check(status)
            return True
        except Error as e:
            self._fail(e, mode)
            return False

    def _fail(self, error: Error, mode: Optional[ErrorMode] = None) -> None:
        self.last_error = str(error)
        mode = mode or self._errors
        if mode == "raise":
            raise error
        if mode == "warn":
            warnings.warn(str(error), TelemetryWarning, stacklevel=_caller_level())


class Span:
    """Started work; complete() (or leaving its `with` block) records the `completed` event."""

    def __init__(self, recorder: Recorder, span_id: str) -> None:
        self.recorder = recorder
        self.id = span_id
        self.exit_code: Optional[int] = None  # set inside the block to record an exit code
        self.completed = False

    def complete(self, status: str = "success", *, exit_code: Optional[int] = None,
                 error_type: Optional[str] = None) -> str:
        """Records the completed event once; later calls return ""."""
        return self._complete(status, exit_code, error_type, self.recorder._errors)

    def _complete(self, status: str, exit_code: Optional[int], error_type: Optional[str],
                  mode: ErrorMode) -> str:
        if self.completed:
            return ""
        self.completed = True
        if exit_code is None:
            exit_code = self.exit_code
        return self.recorder._complete(self.id, status, exit_code, error_type, mode)

    def __enter__(self) -> "Span":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> Literal[False]:
        if exc_type is None:
            self.complete("success")
            return False
        status, exit_code, error_type = _final_state(exc_type, exc)
        if exit_code is not None:
            self.exit_code = exit_code
        # The block's exception wins: a failure to complete must not replace it.
        mode = self.recorder._errors
        self._complete(status, None, error_type, "warn" if mode == "raise" else mode)
        return False


def _caller_level() -> int:
    """The warnings.warn stacklevel of the first frame outside this package: the host's call."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame, level = frame.f_back, level + 1
    return level


def _final_state(exc_type: Type[BaseException],
                 exc: Optional[BaseException]) -> tuple[str, Optional[int], Optional[str]]:
    """Maps how a block ended to (status, exit_code, error_type); never reads the message."""
    if issubclass(exc_type, SystemExit):
        code = getattr(exc, "code", None)
        if code is None or code == 0:
            return "success", 0, None
        return "failed", code if isinstance(code, int) else 1, None
    if issubclass(exc_type, KeyboardInterrupt):
        return "aborted", None, exc_type.__name__
    return "failed", None, exc_type.__name__
