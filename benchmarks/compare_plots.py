"""Figures of ``bench all``, drawn with matplotlib (Agg) as PNG and SVG.

1. ``all-time``: each operation's wall time per system, with its ratio to ooarray's.
2. ``all-memory``: the RSS each run added above the RSS it started from, against the budget.
3. ``all-ratios``: each system's wall time over ooarray's, operations down, systems across.

matplotlib is optional (``pip install 'ooarray[bench]'``): without it no figure is drawn and a
message says so.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import Result
from benchmarks.plots import agg_pyplot, save_figure

__all__ = ["plot_all", "plot_time_memory", "FIGURE_NAMES", "COLOURS"]

FIGURE_NAMES = ("all-time", "all-memory", "all-ratios")

#: One colour per system, the same in every figure.
COLOURS = {"ooarray": "tab:blue", "ooarray-nosync": "tab:cyan", "memmap": "tab:olive", "dask": "tab:orange",
           "cubed": "tab:purple", "blosc2": "tab:green", "numpy": "tab:gray"}

MIB = 2 ** 20

#: Spread of a panel's values above which its axis is logarithmic.
LOG_SPREAD = 50


def _panels(plt: Any, count: int) -> tuple[Any, list[Any]]:
    columns = min(3, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 0.5 + 2.6 * rows),
                                squeeze=False)
    flat = list(axes.flat)
    for extra in flat[count:]:
        extra.set_visible(False)
    return figure, flat[:count]


def _by_operation(results: Sequence[Result]) -> dict[str, list[Result]]:
    grouped: dict[str, list[Result]] = {}
    for result in results:
        grouped.setdefault(result.operation, []).append(result)
    return grouped


def _bars(axes: Any, rows: Sequence[Result], values: Mapping[str, float],
          labels: Mapping[str, str], unit: str) -> None:
    names = [r.system for r in rows]
    heights = [values.get(name, 0.0) for name in names]
    axes.barh(names, heights, color=[COLOURS.get(name, "tab:gray") for name in names])
    shown = [h for h in heights if h > 0]
    if shown and max(shown) / min(shown) > LOG_SPREAD:
        axes.set_xscale("log")
    for y, (row, height) in enumerate(zip(rows, heights, strict=True)):
        text = labels.get(row.system, "") if row.ok else row.status
        axes.text(height if height > 0 else (min(shown) if shown and axes.get_xscale() == "log"
                                             else 0), y, f" {text}", va="center", fontsize=7)
    axes.invert_yaxis()
    axes.margins(x=0.35)
    axes.set_xlabel(unit, fontsize=8)
    axes.tick_params(labelsize=8)


def _time(plt: Any, results: Sequence[Result],
          ratios: Mapping[tuple[str, str], Mapping[str, float]], heading: str) -> Any:
    grouped = _by_operation(results)
    figure, panels = _panels(plt, len(grouped))
    for axes, (operation, rows) in zip(panels, grouped.items(), strict=True):
        walls = {r.system: r.measurement.wall for r in rows if r.ok and r.measurement}
        labels = {}
        for system, wall in walls.items():
            found = ratios.get((operation, system))
            labels[system] = f"{wall:.3g} s" + (f"  ({found['wall']:.2f}x)" if found and
                                                system != "ooarray" else "")
        _bars(axes, rows, walls, labels, "wall time (s)")
        axes.set_title(operation, fontsize=10)
    figure.suptitle("Wall time per system (in brackets: over ooarray's; above 1, ooarray is "
                    "faster)\n" + _wrap(heading), fontsize=8)
    figure.tight_layout()
    return figure


def _memory(plt: Any, results: Sequence[Result], limit: int, heading: str) -> Any:
    grouped = _by_operation(results)
    figure, panels = _panels(plt, len(grouped))
    for axes, (operation, rows) in zip(panels, grouped.items(), strict=True):
        added = {r.system: max(0, r.measurement.peak_rss - r.measurement.baseline_rss) / MIB
                 for r in rows if r.ok and r.measurement}
        _bars(axes, rows, added, {k: f"{v:.1f} MiB" for k, v in added.items()},
              "RSS added by the run (MiB)")
        axes.axvline(limit / MIB, color="black", linestyle="--", linewidth=1)
        axes.set_title(operation, fontsize=10)
    figure.suptitle(f"Peak RSS above each run's start; dashed: ooarray's budget "
                    f"{limit / MIB:.0f} MiB\n" + _wrap(heading), fontsize=8)
    figure.tight_layout()
    return figure


def _ratios(plt: Any, results: Sequence[Result],
            ratios: Mapping[tuple[str, str], Mapping[str, float]]) -> Any:
    import matplotlib
    import numpy as np
    from matplotlib.colors import LogNorm

    systems = list(dict.fromkeys(r.system for r in results))
    operations = list(dict.fromkeys(r.operation for r in results))
    status = {(r.operation, r.system): r.status for r in results}
    grid = np.full((len(operations), len(systems)), np.nan)
    for i, operation in enumerate(operations):
        for j, system in enumerate(systems):
            found = ratios.get((operation, system))
            if found:
                grid[i, j] = found["wall"]
    finite = grid[np.isfinite(grid)]
    spread = max(2.0, float(np.max(np.abs(np.log10(finite)))) if finite.size else 1.0)
    bound = 10 ** min(spread, 4)
    figure, axes = plt.subplots(figsize=(1.3 * len(systems) + 2, 0.55 * len(operations) + 1.6))
    colours = matplotlib.colormaps["RdYlGn"].with_extremes(bad="whitesmoke")
    image = axes.imshow(np.ma.masked_invalid(grid), cmap=colours,
                        norm=LogNorm(vmin=1 / bound, vmax=bound), aspect="auto")
    for i, operation in enumerate(operations):
        for j, system in enumerate(systems):
            value = grid[i, j]
            text = _short(value) if math.isfinite(value) else \
                {"ok": "-"}.get(status.get((operation, system), "-"),
                                status.get((operation, system), "-"))
            axes.text(j, i, text, ha="center", va="center", fontsize=8)
    axes.set_xticks(range(len(systems)), systems, fontsize=8)
    axes.set_yticks(range(len(operations)), operations, fontsize=8)
    figure.colorbar(image, ax=axes, label="wall time over ooarray's")
    axes.set_title("Each system's wall time over ooarray's\n(green, above 1: ooarray faster)",
                   fontsize=9)
    figure.tight_layout()
    return figure


def _short(value: float) -> str:
    """A ratio in at most four characters.

    Examples
    --------
    >>> [_short(v) for v in (0.0123, 0.54, 3.456, 134.9, 2500.0)]
    ['0.012', '0.54', '3.5', '135', '2500']
    """
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.2g}" if value < 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, 150))


def plot_time_memory(directory: Path, prefix: str, results: Sequence[Result],
                     ratios: Mapping[tuple[str, str], Mapping[str, float]], limit: int,
                     heading: str) -> list[str]:
    """Draw ``PREFIX-time`` (wall time per system, one panel per operation, with each
    system's ratio to ooarray's) and ``PREFIX-memory`` (RSS added per run against the budget)
    into ``directory`` as PNG and SVG; return their paths (none without matplotlib).

    ``ratios`` maps (operation, system) to that system's ``{"wall": ...}`` over ooarray's.
    """
    plt = agg_pyplot()
    if plt is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    for name, figure in ((f"{prefix}-time", _time(plt, results, ratios, heading)),
                         (f"{prefix}-memory", _memory(plt, results, limit, heading))):
        paths += save_figure(figure, directory, name)
        plt.close(figure)
    print(f"figures: {', '.join(paths)}", flush=True)
    return paths


def plot_all(directory: Path, results: Sequence[Result],
             ratios: Mapping[tuple[str, str], Mapping[str, float]], limit: int,
             heading: str) -> list[str]:
    """Draw the figures of ``bench all`` into ``directory`` as PNG and SVG; return their paths.

    Returns an empty list, after saying why, when matplotlib is not installed.
    """
    plt = agg_pyplot()
    if plt is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    for name, figure in zip(FIGURE_NAMES, (_time(plt, results, ratios, heading),
                                           _memory(plt, results, limit, heading),
                                           _ratios(plt, results, ratios)), strict=True):
        paths += save_figure(figure, directory, name)
        plt.close(figure)
    print(f"figures: {', '.join(paths)}", flush=True)
    return paths
