"""The text of a profile (``Profile.report()``): the block, its CPU, memory and buffer pool,
and a table of the time per operation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ooarray.errors import format_bytes

if TYPE_CHECKING:
    from ooarray.diagnostics.profile import Profile

__all__ = ["report", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``0.0123`` as ``'12.3 ms'``, ``2.5`` as ``'2.500 s'``.

    Examples
    --------
    >>> format_seconds(0.0123), format_seconds(2.5), format_seconds(4e-6)
    ('12.3 ms', '2.500 s', '0.0 ms')
    """
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1e3:.1f} ms"


def report(profile: Profile) -> str:
    """Return ``profile`` as text (see :meth:`~ooarray.diagnostics.profile.Profile.report`)."""
    stats, computations = profile.stats, profile.computations
    lines = [_summary(profile)]
    if not computations:
        return "\n".join([*lines, "no computation ran in the block"])
    lines.append(f"CPU: {profile.cpu_seconds:.2f} s on {profile.cores} core"
                 f"{'s' if profile.cores > 1 else ''} in {profile.seconds:.3f} s: "
                 f"{profile.cpu_utilisation:.0%} busy")
    lines.append(_memory(profile))
    lines.append(f"buffer pool: {stats.hits} hits, {stats.misses} misses ({stats.hit_rate:.1%} "
                 f"hit rate), {stats.evictions} evictions, {stats.freed} chunks freed after "
                 f"their last use; read {format_bytes(stats.bytes_read)}, written "
                 f"{format_bytes(stats.bytes_written)}, spilled "
                 f"{format_bytes(stats.bytes_spilled)}")
    why = _evictions(profile)
    if why:
        lines.append(f"  {why}")
    lines.append("")
    lines.extend(_table(profile))
    return "\n".join(lines)


def _summary(profile: Profile) -> str:
    computing = sum((c.end if c.end is not None else profile.seconds) - c.start
                    for c in profile.computations)
    count = len(profile.computations)
    return (f"ooarray profile: {count} computation{'' if count == 1 else 's'}, "
            f"{len(profile.tasks)} tasks, {format_seconds(computing)} computing in "
            f"{format_seconds(profile.seconds)}")


def _memory(profile: Profile) -> str:
    limits = sorted({c.memory_limit for c in profile.computations})
    budget = format_bytes(limits[0]) if len(limits) == 1 else \
        f"{format_bytes(limits[0])} to {format_bytes(limits[-1])}"
    peak = profile.stats.peak_bytes
    share = f" ({peak / limits[-1]:.0%} of it)" if len(limits) == 1 else ""
    sampler = profile.sampler
    return (f"memory: budget {budget} (memory_limit); buffer pool peak {format_bytes(peak)}"
            f"{share}; RSS up to {format_bytes(max(0, sampler.peak - sampler.baseline))} "
            f"above the {format_bytes(sampler.baseline)} it started from")


def _evictions(profile: Profile) -> str:
    stats = profile.stats
    if stats.evictions == 0 and stats.freed:
        return (f"no chunk was evicted: {stats.freed} were freed after their last use "
                f"(nothing reads them again), and the others fit the budget")
    if stats.evictions:
        spilled = f", {format_bytes(stats.bytes_spilled)} of intermediates spilled to " \
                  f"disk first" if stats.bytes_spilled else ""
        return (f"{stats.evictions} chunks were evicted to make room before their last use "
                f"(read again if needed{spilled})")
    return ""


def _table(profile: Profile) -> list[str]:
    operations = profile.operations
    total = sum(entry.seconds for entry in operations.values()) or 1.0
    rows = [("operation", "tasks", "task time", "share", "per task", "longest")]
    for entry in operations.values():
        rows.append((entry.operation, str(entry.tasks), format_seconds(entry.seconds),
                     f"{entry.seconds / total:.1%}", format_seconds(entry.mean),
                     format_seconds(entry.longest)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("task time: each task's own time (reading its inputs and computing), added "
                 "up per operation;")
    lines.append("tasks on several threads overlap, so it may add up to more than the wall "
                 "time.")
    estimated = sum(not record.measured for record in profile.tasks)
    if estimated:
        lines.append(f"{estimated} tasks ran in other processes: their time is the interval "
                     f"since the task before them ended.")
    return lines
