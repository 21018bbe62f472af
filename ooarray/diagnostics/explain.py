"""``a.explain()`` and ``ooarray.explain(*arrays)``: the plan, read before it runs.

For each array, the plan as built and after optimisation (elementwise trees fused into numexpr
expressions), every node's operation, shape, dtype, chunking, tasks and bytes read and written,
the projected peak memory against ``memory_limit`` and what admission allows, and the bytes
expected to be read under the eviction policy (:mod:`.plan_facts`, :mod:`.projection`).
Nothing is computed. The result prints as text and shows as HTML tables in notebooks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from ooarray.core.array import OOArray
from ooarray.core.dispatch import implements_method
from ooarray.diagnostics.plan_facts import SINK, NodeFacts, PlanFacts, gather
from ooarray.errors import format_bytes

__all__ = ["Explanation", "explain", "chunking", "dtype_name"]


def chunking(facts: NodeFacts) -> str:
    """``"16 x (250, 200)"``: how many chunks, and the largest one's shape."""
    return f"{facts.nchunks} x {facts.chunksize}"


def dtype_name(dtype: np.dtype) -> str:
    """The dtype's name; a record's field names (a reduction's partial records)."""
    return f"record({', '.join(dtype.names)})" if dtype.names else str(dtype)


def _where(facts: NodeFacts) -> str:
    """The stage column: the stage of a node made by tasks, or whose tasks evaluate it."""
    if facts.stage is not None:
        return str(facts.stage)
    if facts.evaluated_in:
        return "in " + ", ".join(facts.evaluated_in)
    return "-"


def _bytes(nbytes: int, shown: bool = True) -> str:
    return format_bytes(nbytes) if shown else "-"


def _before_rows(plan: PlanFacts) -> list[list[str]]:
    rows = []
    for facts in plan.before:
        became = []
        if facts.fused_into:
            became.append(f"fused into {facts.fused_into}")
        if facts.checkpoint:
            became.append("checkpoint")
        rows.append([facts.key, facts.operation, facts.kind, str(facts.shape),
                     dtype_name(facts.dtype), chunking(facts), format_bytes(facts.nbytes),
                     ", ".join(facts.inputs) or "-", "; ".join(became) or "kept"])
    return rows


_BEFORE = ["node", "operation", "kind", "shape", "dtype", "chunks", "size", "inputs",
           "optimised"]
_AFTER = ["stage", "node", "operation", "shape", "dtype", "chunks", "tasks", "at once",
          "largest task", "reads", "writes"]


def _after_rows(plan: PlanFacts) -> list[list[str]]:
    rows = []
    at_once_in = {stage.number: stage.at_once for stage in plan.stages}
    for facts in plan.after:
        own = facts.runs_tasks
        at_once = at_once_in.get(facts.stage) if own else None
        reads = facts.bytes_read if (own and facts.tasks) or facts.kind == "stored" else None
        operation = facts.operation if facts.expression is None else \
            f"numexpr {facts.expression}"
        rows.append([_where(facts), facts.key, operation, str(facts.shape),
                     dtype_name(facts.dtype), chunking(facts),
                     str(facts.tasks) if facts.tasks else "-",
                     str(at_once) if at_once else "-",
                     _bytes(facts.largest_task, own and facts.tasks > 0),
                     _bytes(reads or 0, reads is not None),
                     _bytes(facts.bytes_written, own)])
    return rows


def _table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [indent + "  ".join(cell.ljust(width)
                               for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def _fused_lines(plan: PlanFacts) -> list[str]:
    names = {facts.key: facts.operation for facts in plan.before}
    names.update((facts.key, facts.operation) for facts in plan.after)
    lines = []
    for facts in plan.after:
        if facts.expression is None:
            continue
        leaves = ", ".join(f"{name} = {key} {names.get(key, '')}".rstrip()
                           for name, key in facts.leaves.items())
        members = ", ".join(f"{key} {names.get(key, '')}".rstrip() for key in facts.members)
        lines += [f"  {facts.key} = {facts.expression}",
                  f"      leaves: {leaves or 'none'}",
                  f"      stands for {members}"]
    return lines


def _largest(plan: PlanFacts) -> NodeFacts | None:
    made = [facts for facts in plan.after if facts.runs_tasks and facts.tasks]
    return max(made, key=lambda facts: facts.largest_task, default=None)


def _memory_lines(plan: PlanFacts) -> list[str]:
    limit = plan.memory_limit
    largest = _largest(plan)
    owner = f" ({largest.operation} {largest.key})" if largest is not None else ""
    lines = [f"  largest task      {format_bytes(plan.max_task_bytes)}{owner}"]
    if plan.resident:
        lines.append(f"  result in memory  {format_bytes(plan.resident)} (held beside the "
                     f"pool until compute() returns)")
    holds = plan.pool_limit // plan.max_task_bytes if plan.max_task_bytes else 0
    threads = f"num_threads={plan.threads}" if plan.settings.executor == "threads" else \
        f"executor={plan.settings.executor!r}"
    lines.append(f"  admission         up to {plan.at_once} task{'s' if plan.at_once > 1 else ''} "
                 f"at once ({threads}; the budget holds {holds} of the largest)")
    peak = plan.projected_peak
    verdict = "fits" if plan.fits else (
        f"DOES NOT FIT: one task and the result need "
        f"{format_bytes(plan.max_task_bytes + plan.resident)}; a run makes more checkpoints "
        f"first, then raises BudgetError if a task is still too large")
    lines.append(f"  projected peak    {format_bytes(peak)} of working sets"
                 f"{' and result' if plan.resident else ''} = {peak / limit:.0%} of "
                 f"memory_limit {format_bytes(limit)}: {verdict}")
    lines.append("                    (the pool caches chunks in the rest of memory_limit)")
    return lines


def _io_lines(plan: PlanFacts) -> list[str]:
    io = plan.io
    pins = io.hits + io.misses
    least = "each chunk once" if io.reread_bytes <= 0 else \
        f"{format_bytes(io.reread_bytes)} read again after eviction"
    return [
        f"  read from stores  {format_bytes(io.store_bytes)} in {io.store_loads} chunk loads "
        f"(least possible {format_bytes(io.distinct_store_bytes)}; {least})",
        f"  pool              {io.hits} hits, {io.misses} misses (hit rate "
        f"{io.hits / pins if pins else 0:.0%}), {io.evictions} evictions, {io.frees} chunks "
        f"freed after their last use",
        f"  spill             {format_bytes(io.spilled_bytes)} written, "
        f"{format_bytes(io.unspilled_bytes)} read back",
    ]


def _header(plan: PlanFacts) -> list[str]:
    settings = plan.settings
    lines = [f"{plan.title} -> {plan.target}",
             f"  memory_limit {format_bytes(settings.memory_limit)}, policy "
             f"{settings.policy!r}, executor {settings.executor!r}, num_threads "
             f"{settings.num_threads}"]
    if plan.target != "compute()":
        lines.append("  (larger than memory_limit: compute() would refuse it; this is the "
                     "plan of a.to_zarr(path))")
    if plan.eager:
        lines.append("  (in memory and small: compute() returns a copy and runs no task)")
    return lines


def plan_text(plan: PlanFacts, optimized: bool | None = None) -> str:
    """The text of one plan: ``optimized`` True shows the plan after optimisation only,
    False the plan as built only, None both."""
    lines = _header(plan)
    if plan.checkpoints:
        lines.append("  checkpoints: " + ", ".join(f"{f.key} {f.operation}"
                                                   for f in plan.checkpoints)
                     + " are computed and kept first (each a plan of its own); the figures "
                       "below evaluate them inline")
    if optimized is not True:
        lines += ["", f"Before optimisation: {len(plan.before)} nodes"]
        lines += _table(_BEFORE, _before_rows(plan))
    if optimized is not False:
        lines += ["", f"After optimisation: {plan.tasks} tasks in {len(plan.stages)} "
                      f"stage{'s' if len(plan.stages) != 1 else ''}"]
        lines += _table(_AFTER, _after_rows(plan))
        sink = next(facts for facts in plan.after if facts.key == SINK)
        if sink.note:
            lines.append(f"  ({SINK}: {sink.note})")
        fused = _fused_lines(plan)
        if fused:
            lines += ["", "Fused into numexpr expressions:", *fused]
    lines += ["", "Memory:", *_memory_lines(plan)]
    lines += ["", f"Expected I/O under policy {plan.io.policy!r} (a replay of the schedule's "
                  f"chunk accesses; nothing is read):", *_io_lines(plan)]
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return (f'<table style="border-collapse: collapse; font-size: 0.9em">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _html_lines(lines: list[str]) -> str:
    return "<pre>" + html.escape("\n".join(line.removeprefix("  ") for line in lines)) \
        + "</pre>"


def plan_html(plan: PlanFacts, optimized: bool | None = None) -> str:
    """One plan as HTML: the header, the tables, the fused expressions, memory and I/O."""
    parts = [f"<h4>{html.escape(plan.title)} &#8594; {html.escape(plan.target)}</h4>",
             _html_lines(_header(plan)[1:])]
    if optimized is not True:
        parts += [f"<p><b>Before optimisation</b>: {len(plan.before)} nodes</p>",
                  _html_table(_BEFORE, _before_rows(plan))]
    if optimized is not False:
        parts += [f"<p><b>After optimisation</b>: {plan.tasks} tasks in "
                  f"{len(plan.stages)} stages</p>", _html_table(_AFTER, _after_rows(plan))]
        fused = _fused_lines(plan)
        if fused:
            parts += ["<p><b>Fused into numexpr expressions</b></p>", _html_lines(fused)]
    parts += ["<p><b>Memory</b></p>", _html_lines(_memory_lines(plan)),
              f"<p><b>Expected I/O under policy {html.escape(repr(plan.io.policy))}</b> "
              f"(nothing is read)</p>", _html_lines(_io_lines(plan))]
    return "<div>" + "".join(parts) + "</div>"


class Explanation:
    """The plans of one or more arrays, as :func:`explain` reads them.

    ``str()`` (or ``print``) gives the text, ``_repr_html_`` tables for notebooks; the
    facts themselves are in :attr:`plans`.

    Attributes
    ----------
    plans : list of PlanFacts
    optimized : bool or None
        Which plans the text shows: after optimisation (True), as built (False), both.
    """

    def __init__(self, plans: Sequence[PlanFacts], optimized: bool | None = None) -> None:
        self.plans = list(plans)
        self.optimized = optimized

    def __str__(self) -> str:
        return "\n\n".join(plan_text(plan, self.optimized) for plan in self.plans)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return "<div>" + "".join(plan_html(plan, self.optimized) for plan in self.plans) \
            + "</div>"


def explain(*arrays: OOArray, optimized: bool | None = None) -> Explanation:
    """Return the plans that computing ``arrays`` would run, read before anything runs.

    Parameters
    ----------
    *arrays : OOArray
        Each is explained as ``compute()`` would run it (or, for a result larger than
        ``memory_limit``, ``to_zarr``), with the settings in force.
    optimized : bool, optional
        Show the plan after optimisation only (True), as built only (False), or both
        (None, the default).

    Returns
    -------
    Explanation
        ``print()`` it for the text; notebooks show it as HTML tables.

    Raises
    ------
    TypeError
        If an argument is not an OOArray.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> with oa.config.set(eager_bytes=0):
    ...     a = oa.asarray(np.ones((4, 4)), chunks=2)
    ...     text = str(oa.explain(np.sqrt(a * a).sum()))
    >>> "sqrt((a0 * a0))" in text and "projected peak" in text
    True
    """
    for array in arrays:
        if not isinstance(array, OOArray):
            raise TypeError(f"explain takes OOArrays; got {type(array).__name__}")
    return Explanation([gather(array) for array in arrays], optimized)


@implements_method("explain")
def _explain_method(array: OOArray, *, optimized: bool | None = None) -> Explanation:
    return explain(array, optimized=optimized)
