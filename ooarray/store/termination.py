"""Temporary files are removed when the process is told to stop, not only on Ctrl-C.

Spill directories, checkpoint and snapshot files and partial outputs are removed by
``finally`` blocks and ``weakref.finalize`` (which also runs at interpreter exit). Ctrl-C
raises ``KeyboardInterrupt``, so they run; but SIGTERM and SIGHUP, by default, end the
process at once and leave the files behind. So the first time ooarray makes a temporary
file, SIGTERM and SIGHUP are made to raise ``SystemExit(128 + signal)`` in the main thread,
which unwinds the same way and exits with the status a killed process reports. A handler the
program installed itself is left alone. A signal that arrives where an exception would be
lost or would hang the exit (a finalizer, a thread pool starting a thread) is delivered
again a moment later.
"""

from __future__ import annotations

import concurrent.futures.thread
import os
import signal
import threading
import weakref
from types import FrameType

__all__ = ["clean_up_on_termination"]

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_installed = False


#: How long a signal that arrived inside a finalizer waits to be delivered again (seconds).
REDELIVER_SECONDS = 0.05


def _unsafe_to_raise(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs where an exception raised now would be lost or would break
    the process's exit:

    - inside a ``__del__`` method or a weakref finalizer, where it is printed and dropped
      ("Exception ignored in ...") and the program goes on;
    - inside :mod:`concurrent.futures.thread` (``submit`` starting a worker thread): raised
      between the thread's start and its registration, it leaves a thread that the
      interpreter's exit waits for forever (seen: a SIGHUP during a computation hung the
      process in ``threading._shutdown``).
    """
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or code.co_filename in _UNSAFE_FILES:
            return True
        frame = frame.f_back
    return False


_UNSAFE_FILES = frozenset({weakref.__file__, concurrent.futures.thread.__file__})


def _exit(signum: int, frame: FrameType | None) -> None:
    if _unsafe_to_raise(frame):
        # The signal is sent again in a moment, once that code has returned.
        timer = threading.Timer(REDELIVER_SECONDS, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
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
