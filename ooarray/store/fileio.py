"""Checked file I/O: every read and write is done in full, or raises ``OSError``.

``os.write``, ``os.pwrite``, ``os.preadv`` and ``readinto`` may do less than asked: a signal,
a full disk (the last write before ENOSPC), a file shorter than it should be. A caller that
ignores the count turns a short write into a file with a hole and a short read into whatever
was in the buffer before: a wrong answer with no error. Every store goes through these two
functions instead; they retry a partial transfer and raise an ``OSError`` naming the file,
the bytes asked and the bytes done when no progress is made.
"""

from __future__ import annotations

import errno
import os

__all__ = ["write_all", "read_exact"]


def write_all(fd: int, data: memoryview, offset: int | None, path: str) -> None:
    """Write all of ``data`` (bytes) to ``fd`` at ``offset`` (or at the file position).

    Raises
    ------
    OSError
        If the system writes nothing (``ENOSPC`` when it says no more, or the error it
        raises, with the file name and the bytes written so far).
    """
    view = memoryview(data).cast("B")
    done = 0
    while done < len(view):
        try:
            if offset is None:
                written = os.write(fd, view[done:])
            else:
                written = os.pwrite(fd, view[done:], offset + done)
        except OSError as error:
            raise OSError(error.errno, f"{os.strerror(error.errno or 0)}: writing "
                          f"{len(view)} bytes to {path}, {done} written", path) from error
        if written <= 0:
            raise OSError(errno.ENOSPC, f"no space left: writing {len(view)} bytes to "
                          f"{path}, {done} written", path)
        done += written


def read_exact(fd: int, out: memoryview, offset: int, path: str) -> None:
    """Fill ``out`` (bytes) from ``fd`` at ``offset``.

    Raises
    ------
    OSError
        If the file ends first (a truncated or damaged file), naming it and the bytes read.
    """
    view = memoryview(out).cast("B")
    done = 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise OSError(errno.EIO, f"{path} is too short: read {done} of {len(view)} "
                          f"bytes at offset {offset}", path)
        done += got
