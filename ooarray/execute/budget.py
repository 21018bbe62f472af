"""Whether a computation fits its budget, decided in one place, before any work.

A computation fits ``memory_limit`` when its largest task (the plan's bound of the pool bytes
one task holds at once) and a result kept in memory fit together. The planner asks
:func:`fits` while it cuts a plan into smaller tasks; the executor calls
:func:`check_tasks` before the first task; ``compute()`` calls :func:`check_result` before it
plans anything. Operation families make their own choices of what to hold in memory (a
share of the budget for small operands, bins or tallies); those are algorithm choices, not
this check.
"""

from __future__ import annotations

from typing import Any

from ooarray.errors import BudgetError, format_bytes

__all__ = ["fits", "check_tasks", "check_result"]


def fits(plan: Any, limit: int, resident: int = 0) -> bool:
    """Whether the largest task of ``plan`` and ``resident`` bytes fit in ``limit``."""
    return plan.max_task_bytes + resident <= limit


def check_tasks(plan: Any, limit: int, resident: int = 0) -> None:
    """Raise :class:`BudgetError` if one task of ``plan`` cannot fit in ``limit`` bytes
    beside a ``resident`` result."""
    if fits(plan, limit, resident):
        return
    needed = plan.max_task_bytes + resident
    what = f"the {format_bytes(resident)} result and " if resident else ""
    raise BudgetError(
        f"memory_limit={format_bytes(limit)} is too small: {what}one task of this "
        f"computation needs {format_bytes(needed)}; raise memory_limit "
        f"(ooarray.config.set(memory_limit=...)) or use smaller chunks (chunks=...)",
        needed=needed, limit=limit)


def check_result(nbytes: int, limit: int) -> None:
    """Raise :class:`BudgetError` if a result of ``nbytes`` cannot be held in ``limit``."""
    if nbytes > limit:
        raise BudgetError(
            f"the result is {format_bytes(nbytes)} but memory_limit is "
            f"{format_bytes(limit)}; write it to disk with .to_zarr(path) or "
            f"ooarray.save(path, a), or compute a slice or reduction of it",
            needed=nbytes, limit=limit)
