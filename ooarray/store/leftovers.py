"""Temporary files by owner: names that say which process made them, and their cleanup.

An output is written to ``.NAME.partial-<pid>-<hex>`` beside its target and renamed on
commit; spill directories and checkpoint and snapshot files are ``ooarray-<kind>-<pid>-...``
in ``spill_dir``. A process that is killed (SIGKILL, a power cut) removes none of them, so
the process id in the name lets :func:`clean` tell a leftover of a dead process from a file
a live one is writing, and lets :func:`ooarray.store.journal.incomplete` recognise a partial
output that someone tries to open as an array. Beside each partial, ``.NAME.partial-<pid>-<hex>.journal`` records
what it holds and which chunks are done (:mod:`ooarray.store.journal`), so that
``to_zarr(..., resume=True)`` can finish it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import uuid
from pathlib import Path

import psutil

__all__ = ["partial_name", "journal_path", "stopped_partials", "temporary_prefix", "clean",
           "Leftover", "PARTIAL_NAME"]

#: The name of a partial output (or of its journal): target, writer pid, journal suffix.
PARTIAL_NAME = re.compile(
    r"^\.(?P<target>.+)\.partial-(?:(?P<pid>\d+)-)?[0-9a-f]{8}(?P<journal>\.journal)?$")
_TEMPORARY = re.compile(r"^ooarray-(?:spill|checkpoint|snapshot|work)-(?P<pid>\d+)-")


def partial_name(target: Path) -> Path:
    """Where an output for ``target`` is written before its commit."""
    return target.parent / f".{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def journal_path(partial: Path) -> Path:
    """The journal beside the partial output ``partial``."""
    return partial.parent / f"{partial.name}.journal"


def _stopped(pid: int) -> bool:
    return pid != os.getpid() and not psutil.pid_exists(pid)


def stopped_partials(target: Path) -> list[Path]:
    """The partial outputs for ``target`` whose writer has stopped, newest first (partials
    of running processes, and of an unknown process, are never listed)."""
    found = []
    try:
        entries = list(target.parent.iterdir())
    except FileNotFoundError:
        return []
    for path in entries:
        match = PARTIAL_NAME.match(path.name)
        if match is None or match["journal"] or match["target"] != target.name \
                or match["pid"] is None or not _stopped(int(match["pid"])):
            continue
        try:
            found.append((path.stat().st_mtime_ns, path))
        except FileNotFoundError:
            continue
    return [path for _, path in sorted(found, key=lambda item: item[0], reverse=True)]


def temporary_prefix(kind: str) -> str:
    """The name prefix of a temporary file or directory of ``kind`` made by this process."""
    return f"ooarray-{kind}-{os.getpid()}-"


@dataclasses.dataclass
class Leftover:
    """A temporary file or directory whose process has stopped."""

    path: Path
    pid: int | None
    nbytes: int


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def clean(directory: str | os.PathLike, remove: bool = True,
          unknown: bool = False) -> list[Leftover]:
    """Find (and ``remove``) the partial outputs and temporary files in ``directory`` whose
    process is no longer running; ``unknown`` also takes partials named without a process
    id (written by ooarray before names carried one)."""
    found = []
    for path in Path(directory).iterdir():
        match = PARTIAL_NAME.match(path.name) or _TEMPORARY.match(path.name)
        if match is None:
            continue
        pid = int(match["pid"]) if match["pid"] else None
        if (pid is None and not unknown) or (pid is not None and psutil.pid_exists(pid)):
            continue
        found.append(Leftover(path, pid, _size(path)))
        if remove:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return found
