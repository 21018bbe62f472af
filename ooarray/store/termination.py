"""Temporary files are removed when the process is told to stop, not only on Ctrl-C.

Spill directories, checkpoint and snapshot files and partial outputs are removed by
``finally`` blocks and ``weakref.finalize`` (which also runs at interpreter exit). Ctrl-C
raises ``KeyboardInterrupt``, so they run; but SIGTERM and SIGHUP, by default, end the
process at once and leave the files behind. So the first time ooarray makes a temporary
file, SIGTERM and SIGHUP are made to raise ``SystemExit(128 + signal)`` in the main thread,
which unwinds the same way and exits with the status a killed process reports. A handler the
program installed itself is left alone.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["clean_up_on_termination"]

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_installed = False


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def clean_up_on_termination() -> None:
    """Make SIGTERM and SIGHUP unwind (and so clean up) where they would kill the process."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    for number in _SIGNALS:
        if signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _exit)
