"""Where the benchmarks write what they draw and report, and the rule that they never write
over a file git tracks.

The default place is a folder under ``bench-results/`` of the current directory (which ignores
itself in git, see :func:`benchmarks.harness.results_directory`); a directory the user names is
used as it is, except that a file in it that git tracks (the documentation's figures, say) is
only replaced when the user says so (``--overwrite``).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from benchmarks.harness import RESULTS_DIRECTORY, results_directory

__all__ = ["TrackedFileError", "tracked", "refuse_tracked", "new_results_directory"]


class TrackedFileError(RuntimeError):
    """A benchmark was about to write over files that git tracks."""


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path(os.sep)


def tracked(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Return those of ``paths`` that git tracks (none outside a repository or without git).

    Examples
    --------
    >>> tracked([Path(__file__)]) == [Path(__file__).resolve()] or not tracked([Path(__file__)])
    True
    """
    by_folder: dict[Path, list[Path]] = {}
    for path in paths:
        resolved = Path(path).resolve()
        by_folder.setdefault(_existing_ancestor(resolved.parent), []).append(resolved)
    found = []
    for folder, files in by_folder.items():
        names = [os.path.relpath(file, folder) for file in files]
        try:
            done = subprocess.run(["git", "-C", str(folder), "ls-files", "-z", "--", *names],
                                  capture_output=True, text=True, check=False, timeout=30)
        except (OSError, subprocess.SubprocessError):  # no git: nothing is tracked
            continue
        if done.returncode != 0:  # not a repository
            continue
        listed = {(folder / name).resolve() for name in done.stdout.split("\0") if name}
        found += [file for file in files if file in listed]
    return found


def refuse_tracked(paths: Sequence[str | os.PathLike], overwrite: bool = False,
                   option: str = "--overwrite") -> None:
    """Raise unless none of ``paths`` is tracked by git, or ``overwrite`` is set.

    Raises
    ------
    TrackedFileError
        Naming the tracked files and the option that allows replacing them.
    """
    if overwrite:
        return
    found = tracked(paths)
    if found:
        shown = ", ".join(str(path) for path in found[:4]) + (" ..." if len(found) > 4 else "")
        raise TrackedFileError(
            f"{len(found)} of the files to write are tracked by git ({shown}); choose another "
            f"directory, or pass {option} to replace them")


def new_results_directory(name: str) -> Path:
    """Make and return a new folder ``bench-results/NAME-YYYYmmdd-HHMMSS`` (git ignores
    ``bench-results``), never one that exists already."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = RESULTS_DIRECTORY / f"{name}-{stamp}"
    number = 1
    while candidate.exists():
        number += 1
        candidate = RESULTS_DIRECTORY / f"{name}-{stamp}-{number}"
    return results_directory(candidate)
