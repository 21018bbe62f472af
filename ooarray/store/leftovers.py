"""Temporary files by owner: names that say which process made them, and their cleanup.

An output is written to ``.NAME.partial-<pid>-<hex>`` beside its target and renamed on
commit; spill directories and checkpoint and snapshot files are ``ooarray-<kind>-<pid>-...``
in ``spill_dir``. A process that is killed (SIGKILL, a power cut) removes none of them, so
the process id in the name lets :func:`clean` tell a leftover of a dead process from a file
a live one is writing, and lets :func:`incomplete` recognise a partial output that someone
tries to open as an array.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import uuid
from pathlib import Path

import psutil

__all__ = ["partial_name", "temporary_prefix", "incomplete", "clean", "Leftover"]

_PARTIAL = re.compile(r"^\.(?P<target>.+)\.partial-(?:(?P<pid>\d+)-)?[0-9a-f]{8}$")
_TEMPORARY = re.compile(r"^ooarray-(?:spill|checkpoint|snapshot)-(?P<pid>\d+)-")


def partial_name(target: Path) -> Path:
    """Where an output for ``target`` is written before its commit."""
    return target.parent / f".{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def temporary_prefix(kind: str) -> str:
    """The name prefix of a temporary file or directory of ``kind`` made by this process."""
    return f"ooarray-{kind}-{os.getpid()}-"


def incomplete(path: Path) -> str | None:
    """A sentence saying that ``path`` is an uncommitted output, or None if it is not one."""
    match = _PARTIAL.match(path.name)
    if match is None:
        return None
    pid = match["pid"]
    state = "an unknown process" if pid is None else \
        f"process {pid}, still running" if psutil.pid_exists(int(pid)) else \
        f"process {pid}, which stopped before committing it"
    return (f"{path} is an incomplete output for {match['target']} (written by {state}); it is "
            f"not an array: compute it again, and remove leftovers of stopped processes with "
            f"`python -m ooarray clean {path.parent}`")


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
        match = _PARTIAL.match(path.name) or _TEMPORARY.match(path.name)
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
