"""Figures of the matmul benchmark, drawn with matplotlib (Agg) as PNG and SVG.

1. ``matmul-time-memory``: wall time and peak RSS per system (bars); the compute limit
   measured at another side (``--limit-n``) is labelled with that side and its scaled time.
2. ``matmul-memory-over-time``: each system's RSS over its run, above the RSS it started
   from, against ooarray's budget.
3. ``matmul-io-trace``: ooarray's chunk accesses (access number against chunk) for Belady and
   LRU, hits, misses and evictions coloured.

matplotlib is optional (``pip install 'ooarray[bench]'``): without it no figure is drawn and a
message says so.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import Result

__all__ = ["plot_matmul", "chunk_numbers", "save_figure", "agg_pyplot", "FIGURE_NAMES"]

FIGURE_NAMES = ("matmul-time-memory", "matmul-memory-over-time", "matmul-io-trace")

#: Points per line of the memory figure at most (keeps the SVG small).
MAX_LINE_POINTS = 1500

#: Colours of the trace's events.
EVENT_COLOURS = {"hit": "tab:green", "miss": "tab:red", "evict": "tab:gray",
                 "spill": "tab:purple"}

GIB = 2 ** 30


def agg_pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (files only, no window), or None after saying
    that matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install 'ooarray[bench]')",
              flush=True)
        return None
    return plt


def chunk_numbers(trace: Sequence[tuple[str, Hashable]]) -> tuple[list[int], list[str]]:
    """Number the chunks of an access trace for plotting: operands in the order they are
    first touched (A, then B); A's chunks row-major and B's column-major, so that a row panel
    of A and a column panel of B are each a band of consecutive numbers.

    Keys are ``(node id, chunk index)``; anything else is numbered in order of appearance.

    Returns
    -------
    numbers : list of int
        The chunk number of every event.
    labels : list of str
        ``"A"``, ``"B"``, ... for each operand, at the number its chunks start from.

    Examples
    --------
    >>> trace = [("miss", (7, (0, 1))), ("miss", (9, (0, 1))), ("miss", (9, (1, 0))),
    ...          ("hit", (7, (0, 0)))]
    >>> chunk_numbers(trace)
    ([1, 3, 2, 0], ['A', 'B'])
    """
    operands: dict[Hashable, set[Any]] = {}
    for _, key in trace:
        node, index = _split(key)
        operands.setdefault(node, set()).add(index)
    offset, numbering, labels = 0, {}, []
    for number, (node, indices) in enumerate(operands.items()):
        labels.append(chr(ord("A") + number) if number < 26 else str(node))
        order = sorted(indices, key=_column_major if number % 2 else _row_major)
        for position, index in enumerate(order):
            numbering[(node, index)] = offset + position
        offset += len(indices)
    return [numbering[_split(key)] for _, key in trace], labels


def _split(key: Hashable) -> tuple[Hashable, Any]:
    if isinstance(key, tuple) and len(key) == 2:
        return key[0], key[1]
    return None, key


def _row_major(index: Any) -> tuple[Any, ...]:
    return tuple(index) if isinstance(index, tuple) else (repr(index),)


def _column_major(index: Any) -> tuple[Any, ...]:
    return _row_major(index)[::-1]


def save_figure(figure: Any, directory: Path, name: str) -> list[str]:
    """Save ``figure`` as ``directory/name.png`` and ``.svg`` (no dates inside, so the same
    figure gives the same bytes); return the paths."""
    paths = []
    for suffix in ("png", "svg"):
        path = directory / f"{name}.{suffix}"
        figure.savefig(path, dpi=110, bbox_inches="tight", metadata=_metadata(suffix))
        paths.append(str(path))
    return paths


def _metadata(suffix: str) -> dict[str, Any]:
    # No dates in the files, so a re-run that measures the same draws the same bytes.
    return {"Date": None} if suffix == "svg" else {}


def _thin(points: Sequence[tuple[float, int]]) -> list[tuple[float, int]]:
    """Keep at most MAX_LINE_POINTS points, always the peak of each stretch."""
    if len(points) <= MAX_LINE_POINTS:
        return list(points)
    step = -(-len(points) // MAX_LINE_POINTS)
    return [max(points[i:i + step], key=lambda p: p[1]) for i in range(0, len(points), step)]


def _time_memory(plt: Any, results: Sequence[Result], limit: int, n: int) -> Any:
    done = [r for r in results if r.ok and r.measurement is not None]
    names = [_bar_label(r) for r in done]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    walls = [r.measurement.wall for r in done]  # type: ignore[union-attr]
    peaks = [r.measurement.peak_rss / GIB for r in done]  # type: ignore[union-attr]
    colours = [_colour(r.system) for r in done]
    left.barh(names, walls, color=colours)
    left.set_xlabel("wall time (s)")
    left.set_title(f"C = A @ B, n = {n}: wall time")
    for y, (row, wall) in enumerate(zip(done, walls, strict=True)):
        scaled = f" (x{row.extra['scale']:g} -> {row.extra['scaled_wall']:.1f})" \
            if _scaled(row) else ""
        left.text(wall, y, f" {wall:.1f}{scaled}", va="center", fontsize=8)
    starts = [r.measurement.baseline_rss / GIB for r in done]  # type: ignore[union-attr]
    right.barh(names, starts, color="lightgray", label="RSS at the run's start")
    right.barh(names, [p - b for p, b in zip(peaks, starts, strict=True)], left=starts,
               color=colours)
    right.axvline(limit / GIB, color="black", linestyle="--", linewidth=1,
                  label=f"ooarray budget {limit / GIB:.2f} GiB")
    right.set_xlabel("peak RSS (GiB); gray: RSS before the run (interpreter, libraries)")
    right.set_title("peak resident memory")
    right.legend(loc="upper right", fontsize=8)
    for y, peak in enumerate(peaks):
        right.text(peak, y, f" {peak:.2f}", va="center", fontsize=8)
    for axes in (left, right):
        axes.invert_yaxis()
        axes.margins(x=0.18)
    right.set_yticklabels([])
    figure.tight_layout()
    return figure


def _scaled(row: Result) -> bool:
    """Whether ``row`` is the compute limit measured at another side than the figure's n."""
    return row.extra.get("scale", 1.0) != 1.0


def _bar_label(row: Result) -> str:
    """A bar's name: the system, and the side it ran at when that is not the figure's n."""
    return f"{row.system}\nat n = {row.extra['limit_n']}" if _scaled(row) else row.system


def _colour(system: str) -> str:
    if system.startswith("ooarray-belady"):
        return "tab:blue"
    if system.startswith("ooarray"):
        return "tab:cyan"
    if system.startswith("dask"):
        return "tab:orange"
    return "tab:gray"


def _memory_over_time(plt: Any, runs: Mapping[str, Mapping[str, Any]], limit: int,
                      n: int) -> Any:
    figure, axes = plt.subplots(figsize=(9, 4))
    for name, run in runs.items():
        points = _thin(run.get("memory") or [])
        if not points:
            continue
        start = points[0][1]
        axes.plot([t for t, _ in points], [(rss - start) / GIB for _, rss in points],
                  label=f"{name} (from {start / GIB:.2f} GiB)",
                  color=_colour(name), linewidth=1.2,
                  linestyle="--" if name == "ooarray-lru" else "-")
    axes.axhline(limit / GIB, color="black", linestyle=":", linewidth=1,
                 label=f"ooarray budget {limit / GIB:.2f} GiB")
    axes.set_xlabel("seconds since the run started")
    axes.set_ylabel("RSS above the run's start (GiB)")
    axes.set_title(f"Memory over time, C = A @ B, n = {n}: growth of the process's RSS "
                   "during each run", fontsize=10)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _io_trace(plt: Any, runs: Mapping[str, Mapping[str, Any]], n: int) -> Any | None:
    traced = [(name, run["trace"]) for name, run in runs.items() if run.get("trace")]
    if not traced:
        return None
    figure, panels = plt.subplots(len(traced), 1, figsize=(10, 3.2 * len(traced)),
                                  sharex=True, squeeze=False)
    size = max(2.0, min(24.0, 6000 / max(len(t) for _, t in traced)))
    for axes, (name, trace) in zip(panels[:, 0], traced, strict=True):
        numbers, labels = chunk_numbers(trace)
        for event, colour in EVENT_COLOURS.items():
            xs = [i for i, (e, _) in enumerate(trace) if e == event]
            if xs:
                axes.scatter(xs, [numbers[i] for i in xs], s=size, color=colour, marker="s",
                             linewidths=0, label=f"{event} ({len(xs)})", rasterized=True)
        axes.set_ylabel("chunk (" + ", then ".join(labels) + ")")
        axes.set_title(f"{name}: chunk accesses of the buffer pool", fontsize=10)
        axes.legend(loc="upper left", fontsize=8, markerscale=6 / size ** 0.5, ncol=4)
    panels[-1, 0].set_xlabel("event number (requests and evictions, in order)")
    figure.suptitle(f"I/O trace of ooarray's matmul, n = {n}", fontsize=11)
    figure.tight_layout()
    return figure


def plot_matmul(directory: Path, results: Sequence[Result],
                runs: Mapping[str, Mapping[str, Any]], limit: int, n: int) -> list[str]:
    """Draw the matmul figures into ``directory`` as PNG and SVG; return their paths.

    ``runs`` maps a system to its run: ``"memory"`` (RSS samples ``(seconds, bytes)``) and,
    for ooarray, ``"trace"`` (the pool's ``(event, key)`` accesses). Returns an empty list,
    after saying why, when matplotlib is not installed.
    """
    plt = agg_pyplot()
    if plt is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    figures = [(FIGURE_NAMES[0], _time_memory(plt, results, limit, n)),
               (FIGURE_NAMES[1], _memory_over_time(plt, runs, limit, n)),
               (FIGURE_NAMES[2], _io_trace(plt, runs, n))]
    for name, figure in figures:
        if figure is None:
            continue
        paths += save_figure(figure, directory, name)
        plt.close(figure)
    print(f"figures: {', '.join(paths)}", flush=True)
    return paths
