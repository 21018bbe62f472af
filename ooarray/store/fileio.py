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
import shutil

__all__ = ["write_all", "read_exact", "no_space", "check_space", "close_descriptor"]


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
            if error.errno == errno.ENOSPC:
                raise no_space(path, len(view), done) from error
            raise OSError(error.errno, f"{os.strerror(error.errno or 0)}: writing "
                          f"{len(view)} bytes to {path}, {done} written", path) from error
        if written <= 0:
            raise no_space(path, len(view), done)
        done += written


def no_space(path: str, asked: int, done: int) -> OSError:
    """The ``OSError(ENOSPC)`` of a write of ``asked`` bytes to ``path`` that stopped after
    ``done``: it names the directory, what it has free, and what to do."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        free = f"{shutil.disk_usage(directory).free:,} bytes free"
    except OSError:
        free = "free space unknown"
    return OSError(errno.ENOSPC, f"no space left in {directory} ({free}): writing {asked:,} "
                   f"bytes to {path}, {done:,} written; free space there, or write to "
                   f"another disk (spill_dir= for intermediates)", path)


def check_space(path: str, needed: int) -> None:
    """Raise ``OSError(ENOSPC)`` before any work if the directory of ``path`` has less than
    ``needed`` bytes free (an output whose size is known: a ``.npy`` file)."""
    directory = os.path.dirname(os.path.abspath(path))
    free = shutil.disk_usage(directory).free
    if needed > free:
        raise OSError(errno.ENOSPC, f"no space for {path}: it needs {needed:,} bytes and "
                      f"{directory} has {free:,} free; free space there, or write to another "
                      f"disk", path)


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


def close_descriptor(fd: int) -> None:
    """Close ``fd`` if it is open (a negative number means closed); errors are ignored."""
    if fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass
