"""The figures of a profile (``Profile.plot()``), drawn with matplotlib.

1. ``memory``: the bytes the buffer pools held and the process's RSS above where it started,
   sampled over time, against the budget (``memory_limit``, a dashed line); below, the CPU
   the process used, in percent of its cores. Shaded spans are the computations.
2. ``io``: the buffer pool's access trace over time: hits, misses, evictions and chunks freed
   after their last use (counted from the start of the profile, after each task); below, the
   bytes read, written and spilled.
3. ``operations``: each operation's task time (bars, the longest on top), with its tasks.

The figures are ``matplotlib.figure.Figure`` objects made without pyplot: no window opens,
none stays in pyplot's list, and Jupyter shows one returned by a cell. Save one with
``fig.savefig(path)``, or all of them with ``p.plot(directory)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ooarray.errors import format_bytes

if TYPE_CHECKING:
    from ooarray.diagnostics.profile import Profile

__all__ = ["plot_profile", "FIGURES"]

#: The figures' names, in the order :func:`plot_profile` draws them.
FIGURES = ("memory", "io", "operations")
#: Colours of the trace's events (those of the matmul benchmark's I/O figure).
EVENT_COLOURS = {"hits": "tab:green", "misses": "tab:red", "evictions": "tab:gray",
                 "freed": "tab:blue"}
BYTES_COLOURS = {"bytes_read": "tab:orange", "bytes_written": "tab:purple",
                 "bytes_spilled": "tab:brown"}


def plot_profile(profile: Profile, directory: Path | None = None, format: str = "png"
                 ) -> dict[str, Any]:
    """Draw ``profile``'s figures; save them in ``directory`` too, when one is given.

    Parameters
    ----------
    profile : Profile
        A profile whose ``with`` block has ended.
    directory : Path, optional
        Where to write ``profile-memory.png``, ``profile-io.png`` and
        ``profile-operations.png`` (the directory is made if missing).
    format : str
        The files' format: ``"png"``, ``"svg"``, ``"pdf"``...

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        ``"memory"``, ``"io"`` and ``"operations"`` (see the module's notes).

    Raises
    ------
    ImportError
        If matplotlib is not installed (saying what to install).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("Profile.plot() draws with matplotlib, which is not installed: "
                          "pip install matplotlib (or pip install 'ooarray[plot]')") from error
    figures = {
        "memory": _memory(profile, Figure),
        "io": _io(profile, Figure),
        "operations": _operations(profile, Figure),
    }
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, figure in figures.items():
            figure.savefig(directory / f"profile-{name}.{format}", dpi=110)
    return figures


def byte_step(top: float, ticks: int = 6) -> float:
    """A tick step for a byte axis up to ``top``: 1, 2 or 5 times a power of ten of the
    binary unit (KiB, MiB, GiB...) that ``top`` is counted in.

    Examples
    --------
    >>> byte_step(4_000_000) / 2**20, byte_step(3 * 2**30) / 2**30, byte_step(100)
    (1.0, 0.5, 20.0)
    """
    unit = 1
    while top >= 1024 * unit and unit < 2**40:
        unit *= 1024
    rough = max(top, 1) / unit / ticks
    power = 10.0 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step * unit


def _bytes_axis(axes: Any, top: float) -> None:
    """Ticks at round numbers of KiB, MiB or GiB, labelled in them."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    axes.yaxis.set_major_locator(MultipleLocator(byte_step(top)))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_bytes(value)))
    axes.set_ylim(0, top * 1.08 or 1)


def _shade_computations(axes: Any, profile: Profile) -> None:
    for computation in profile.computations:
        end = computation.end if computation.end is not None else profile.seconds
        axes.axvspan(computation.start, end, color="tab:gray", alpha=0.08, linewidth=0)


def _memory(profile: Profile, Figure: Any) -> Any:
    figure = Figure(figsize=(8, 5.5), layout="constrained")
    memory, cpu = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    samples = profile.memory
    times = [s.time for s in samples]
    baseline = profile.sampler.baseline
    pool = [s.pool_bytes for s in samples]
    rss = [max(0, s.rss - baseline) for s in samples]
    memory.plot(times, pool, color="tab:blue", label="buffer pools")
    memory.plot(times, rss, color="tab:orange",
                label=f"RSS above the start ({format_bytes(baseline)})")
    limits = {c.memory_limit for c in profile.computations} or {profile.memory_limit}
    _bytes_axis(memory, max([*pool, *rss, *limits]))
    if len(limits) == 1:
        limit = limits.pop()
        memory.axhline(limit, color="tab:red", linestyle="--",
                       label=f"memory_limit ({format_bytes(limit)})")
    else:  # budgets changed between computations: each one's over its span
        xs, ys = [], []
        for c in profile.computations:
            xs += [c.start, c.end if c.end is not None else profile.seconds]
            ys += [c.memory_limit, c.memory_limit]
        memory.plot(xs, ys, color="tab:red", linestyle="--", label="memory_limit")
    _shade_computations(memory, profile)
    memory.set_ylabel("memory")
    memory.set_title("Memory over time against the budget")
    memory.legend(loc="upper left", fontsize="small")
    usage = profile.cpu
    cpu.plot([t for t, _ in usage], [100 * u for _, u in usage], color="tab:green",
             label=f"CPU ({profile.cores} cores: 100%)")
    _shade_computations(cpu, profile)
    cpu.set_ylim(0, 105)
    cpu.set_ylabel("CPU %")
    cpu.set_xlabel("seconds")
    cpu.legend(loc="upper left", fontsize="small")
    return figure


def _io(profile: Profile, Figure: Any) -> Any:
    figure = Figure(figsize=(8, 5.5), layout="constrained")
    counts, volumes = figure.subplots(2, 1, sharex=True)
    points = profile.counters
    times = [0.0, *(p.time for p in points)]
    for name, colour in EVENT_COLOURS.items():
        values = [0, *(getattr(p, name) for p in points)]
        counts.step(times, values, where="post", color=colour,
                    label=f"{name} ({values[-1]})")
    _shade_computations(counts, profile)
    counts.set_ylabel("chunks (cumulative)")
    counts.set_title("Buffer pool: hits, misses, evictions and frees over time")
    counts.legend(loc="upper left", fontsize="small")
    top = 0
    for name, colour in BYTES_COLOURS.items():
        values = [0, *(getattr(p, name) for p in points)]
        top = max(top, *values)
        volumes.step(times, values, where="post", color=colour,
                     label=f"{name.replace('_', ' ')} ({format_bytes(values[-1])})")
    _shade_computations(volumes, profile)
    _bytes_axis(volumes, top)
    volumes.set_ylabel("bytes (cumulative)")
    volumes.set_xlabel("seconds")
    volumes.legend(loc="upper left", fontsize="small")
    return figure


def _operations(profile: Profile, Figure: Any) -> Any:
    operations = list(profile.operations.values())[::-1]  # the longest on top
    figure = Figure(figsize=(8, 1.5 + 0.35 * max(1, len(operations))), layout="constrained")
    axes = figure.subplots()
    bars = axes.barh([op.operation for op in operations], [op.seconds for op in operations],
                     color="tab:blue")
    axes.bar_label(bars, labels=[f"{op.tasks} task{'s' if op.tasks != 1 else ''}"
                                 for op in operations], padding=3, fontsize="small")
    axes.set_xlabel("task time (s)")
    axes.set_title("Time per operation")
    axes.margins(x=0.15)
    return figure
