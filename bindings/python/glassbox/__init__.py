"""glassbox for Python: record usage events through libglassbox (ctypes, standard library only).

    import glassbox
    rec = glassbox.Recorder(app_name="mytool", app_version="1.2.0")
    rec.record("cli_event", {"command": "init", "args": ["my-project"]})
    with rec.span("cli_event", {"command": "run", "args": sys.argv[1:]}) as span:
        ...  # completes with success, or failed + the exception's type name, then re-raises

Events are validated against their schema and anonymized inside the library before they are
written: arguments and configuration become hashes, settings are never stored. Importing this
package never loads the library; a Recorder does, from `library=`, $GLASSBOX_LIBRARY or the
loader's search path (libglassbox.so.0).
"""
from .recorder import Counters, Error, Recorder, Span, TelemetryWarning

__all__ = ["Counters", "Error", "Recorder", "Span", "TelemetryWarning", "library_version"]


def library_version(library: "str | None" = None) -> str:
    """The version of the libglassbox that a Recorder would load, e.g. "0.1.0"."""
    from . import _native
    return _native.load(library).glassbox_version().decode("ascii")
