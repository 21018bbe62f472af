"""Which NumPy functions ooarray runs out of core, which fall back to NumPy in memory, which raise.

Every function NumPy lets an array type override (``numpy.testing.overrides``) is classified:

* **out of core** -- registered with ``@implements``: runs chunk by chunk within the budget;
* **fallback** -- not registered: runs with NumPy in memory on the computed inputs *only* when
  they and an estimate of the result fit ``memory_limit`` (with an ``InMemoryFallbackWarning``),
  and raises TypeError otherwise (:mod:`ooarray.interop.fallback`);
* **raises** -- functions that write into an argument (``np.copyto``, ``np.put``...): an OOArray
  is never modified in place.

Ufuncs are listed with each method: ``__call__`` of every elementwise ufunc runs out of core;
the methods have the status of their handler (``ufunc.at`` writes in place and raises).
``python -m ooarray coverage --markdown docs/coverage.md`` writes the table in the docs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NUMPY_MODULES", "OUT_OF_CORE", "FALLBACK", "RAISES", "NOT_APPLICABLE",
           "UFUNC_METHOD_NAMES", "Coverage", "coverage", "coverage_markdown"]

OUT_OF_CORE, FALLBACK, RAISES, NOT_APPLICABLE = "out of core", "fallback", "raises", "-"
#: NumPy lists the overridable functions of the modules imported so far: these are imported
#: first, so that the report does not depend on what else the process has imported.
NUMPY_MODULES = ("numpy.fft", "numpy.linalg", "numpy.polynomial", "numpy.lib.recfunctions",
                 "numpy.lib.scimath", "numpy.lib.stride_tricks", "numpy.char", "numpy.strings")
UFUNC_METHOD_NAMES = ("__call__", "reduce", "accumulate", "reduceat", "outer", "at")


@dataclasses.dataclass(frozen=True)
class Coverage:
    """The classification: ``functions`` maps ``'numpy.sum'`` to a status; ``ufuncs`` maps
    ``'numpy.add'`` to the status of each method in :data:`UFUNC_METHOD_NAMES`."""

    functions: dict[str, str]
    ufuncs: dict[str, dict[str, str]]

    def __post_init__(self) -> None:
        for status in self.functions.values():
            if status not in (OUT_OF_CORE, FALLBACK, RAISES):
                raise ValueError(f"unknown status {status!r}")

    def count(self, status: str) -> int:
        """Return how many functions have ``status``."""
        return sum(1 for s in self.functions.values() if s == status)


def _ufunc_statuses(ufunc: np.ufunc, handled: dict[Callable[..., Any], Callable[..., Any]],
                    methods: dict[str, Any]) -> dict[str, str]:
    if ufunc.signature is not None:  # a generalized ufunc: a registered function, or nothing
        call = OUT_OF_CORE if ufunc in handled else RAISES
        return {"__call__": call, **{m: NOT_APPLICABLE for m in UFUNC_METHOD_NAMES[1:]}}
    statuses = {"__call__": OUT_OF_CORE if "__call__" in methods else FALLBACK}
    binary = ufunc.nin == 2 and ufunc.nout == 1
    for method in UFUNC_METHOD_NAMES[1:]:
        if method == "at":
            statuses[method] = OUT_OF_CORE if method in methods else RAISES
        elif not binary:
            statuses[method] = NOT_APPLICABLE
        else:
            statuses[method] = OUT_OF_CORE if method in methods else FALLBACK
    return statuses


def coverage() -> Coverage:
    """Classify NumPy's overridable functions and its ufuncs' methods for ooarray.

    Examples
    --------
    >>> report = coverage()
    >>> report.functions["numpy.sum"], report.ufuncs["numpy.add"]["__call__"]
    ('out of core', 'out of core')
    >>> report.functions["numpy.copyto"] in ("out of core", "raises")
    True
    """
    import importlib

    from numpy.testing.overrides import get_overridable_numpy_array_functions

    import ooarray  # noqa: F401 -- its imports fill the registries

    for module in NUMPY_MODULES:
        importlib.import_module(module)

    from ooarray.core.dispatch import HANDLED_FUNCTIONS, UFUNC_METHODS
    from ooarray.interop.fallback import IN_PLACE, function_name

    functions: dict[str, str] = {}
    for func in get_overridable_numpy_array_functions():
        name = function_name(func)
        if func in HANDLED_FUNCTIONS or functions.get(name) == OUT_OF_CORE:
            functions[name] = OUT_OF_CORE
        else:
            functions[name] = RAISES if name in IN_PLACE else FALLBACK
    ufuncs = {f"numpy.{name}": _ufunc_statuses(getattr(np, name), HANDLED_FUNCTIONS,
                                               UFUNC_METHODS)
              for name in dir(np) if isinstance(getattr(np, name), np.ufunc)}
    return Coverage(dict(sorted(functions.items())), dict(sorted(ufuncs.items())))


#: Families that stay in-memory fallbacks by design (structured, string and datetime data).
NON_NUMERIC_PREFIXES = ("numpy.char.", "numpy.strings.", "numpy.lib.recfunctions.",
                        "numpy.busday_", "numpy.is_busday", "numpy.datetime_as_string")


def _numeric_fallbacks(report: Coverage) -> list[str]:
    return [name for name, status in report.functions.items()
            if status == FALLBACK and not name.startswith(NON_NUMERIC_PREFIXES)]


def coverage_markdown(report: Coverage | None = None) -> str:
    """Return the coverage report as the Markdown page ``docs/coverage.md``."""
    report = report or coverage()
    total = len(report.functions)
    lines = [
        "# NumPy coverage",
        "",
        "<!-- Generated by `python -m ooarray coverage --markdown docs/coverage.md`; "
        "do not edit by hand. -->",
        "",
        f"NumPy {np.__version__}: the {total} functions NumPy lets an array type override "
        "(`numpy.testing.overrides.get_overridable_numpy_array_functions()`), and every ufunc.",
        "",
        f"- **out of core** ({report.count(OUT_OF_CORE)}): registered with `@implements`; "
        "runs chunk by chunk inside `memory_limit`.",
        f"- **fallback** ({report.count(FALLBACK)}): not implemented out of core. Runs with "
        "NumPy in memory on the computed inputs only when the OOArray inputs and a generous "
        "estimate of the result fit `memory_limit` (an `InMemoryFallbackWarning` says so, and "
        "array results come back as OOArrays); otherwise raises `TypeError` naming the "
        "function and the sizes. This is not out-of-core support.",
        f"- **raises** ({report.count(RAISES)}): writes into an argument; an OOArray is "
        "never modified in place, so this raises `TypeError` (use `np.where`).",
        "",
        "See [docs/xarray.md](xarray.md) for NEP 35 `like=` and the fallback in detail.",
        "",
        "Structured, string and datetime functions (`numpy.char.*`, `numpy.strings.*`, "
        "`numpy.lib.recfunctions.*`, `busday_*`, `is_busday`, `datetime_as_string`) stay "
        "in-memory fallbacks by design: ooarray's arrays are numeric. The numeric functions "
        "that still fall back: "
        + (", ".join(f"`{name.removeprefix('numpy.')}`" for name in _numeric_fallbacks(report))
           or "none") + ".",
        "",
        "## Functions",
        "",
        "| function | status |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}` | {status} |" for name, status in report.functions.items()]
    header = " | ".join(f"`{m}`" for m in UFUNC_METHOD_NAMES)
    lines += [
        "",
        "## Ufuncs",
        "",
        "`__call__` of an elementwise ufunc runs out of core (fused into numexpr where it "
        "can be); a generalized ufunc (`matmul`, `vecdot`...) runs out of core when its "
        "function is registered and raises otherwise. `-`: the method does not apply.",
        "",
        f"| ufunc | {header} |",
        "| --- |" + " --- |" * len(UFUNC_METHOD_NAMES),
    ]
    lines += [f"| `{name}` | " + " | ".join(methods[m] for m in UFUNC_METHOD_NAMES) + " |"
              for name, methods in report.ufuncs.items()]
    return "\n".join(lines) + "\n"
