"""What ``bench all`` makes of its runs: the checks against NumPy, the ratios to ooarray, and
the tables (text for the terminal, Markdown for the documentation)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks import matmul
from benchmarks.compare_inputs import Inputs, read_index
from benchmarks.compare_systems import OPERATIONS
from benchmarks.elementwise_systems import expression
from benchmarks.harness import OK, Check, Result, format_markdown_table, spread_indices
from ooarray.errors import format_bytes

__all__ = ["sample_index", "check", "ratio_to", "side_by_side", "matrix", "markdown"]

#: Samples compared with the reference: rows of the chain's output and of C, sorted values.
SAMPLE_ROWS, SAMPLE_VALUES = 16, 64

#: Agreement: scalars (relative), the chain's rows (absolute, values O(1)), C's rows
#: (relative), sorted values (exact: every system sorts the same float64 values).
VALUE_RTOL, CHAIN_ATOL, MATMUL_RTOL, SORT_ATOL = 1e-9, 1e-12, 1e-10, 0.0

#: The reference of the checks, when it ran.
REFERENCE = "numpy"


def sample_index(inputs: Inputs, operation: str) -> np.ndarray | None:
    """Where an operation's output is sampled (None: it returns a scalar)."""
    if operation == "elementwise":
        return spread_indices(inputs.shape[0], SAMPLE_ROWS)
    if operation == "matmul":
        return spread_indices(inputs.n, SAMPLE_ROWS)
    if operation == "sort":
        return spread_indices(inputs.length, SAMPLE_VALUES)
    return None


def _expected(inputs: Inputs, operation: str, index: np.ndarray) -> np.ndarray | None:
    if operation == "elementwise":
        return expression(*(read_index(path, index)
                            for path in inputs.elementwise("zarr").inputs))
    if operation == "matmul":
        return matmul.expected_sample(inputs.matmul(), index)[0]
    return None


def _deviation(operation: str, got: np.ndarray, want: np.ndarray) -> float:
    if got.shape != want.shape:
        return float("inf")
    if operation == "matmul":
        return float(np.max(np.abs(got - want) / np.abs(want)))
    return float(np.max(np.abs(got - want))) if got.size else 0.0


def check(results: Sequence[Result], samples: dict[str, dict[str, np.ndarray]],
          inputs: Inputs) -> list[Check]:
    """Check every finished run: scalars against the reference system's (NumPy's, or the
    first that ran), the chain's and C's sampled rows against NumPy on the same rows of the
    inputs, sorted samples against the reference system's and for being in order."""
    checks = []
    tolerances = {"elementwise": CHAIN_ATOL, "matmul": MATMUL_RTOL, "sort": SORT_ATOL}
    for operation in OPERATIONS:
        done = [r for r in results if r.operation == operation and r.ok]
        if not done:
            continue
        reference = next((r for r in done if r.system == REFERENCE), done[0])
        index = sample_index(inputs, operation)
        if index is None:  # a scalar
            for result in done:
                if result is not reference and result.value is not None:
                    deviation = abs(result.value - reference.value) / abs(reference.value)
                    checks.append(Check(result.system, result.format, operation,
                                        reference.system, deviation, VALUE_RTOL))
            continue
        want = _expected(inputs, operation, index)
        compared_with = f"NumPy on {len(index)} sampled rows"
        if want is None:  # the sort: against the reference system's sorted values
            want = samples.get(reference.system, {}).get(operation)
            compared_with = f"{reference.system} at {len(index)} positions"
        for result in done:
            got = samples.get(result.system, {}).get(operation)
            if got is None or want is None or got is want:
                continue
            checks.append(Check(result.system, result.format, operation, compared_with,
                                _deviation(operation, got, want), tolerances[operation]))
        if operation == "sort":
            for result in done:
                got = samples.get(result.system, {}).get(operation)
                if got is not None:
                    disorder = float(np.max(np.maximum(got[:-1] - got[1:], 0), initial=0.0))
                    checks.append(Check(result.system, result.format, operation,
                                        "its samples in order", disorder, 0.0))
    return checks


def ratio_to(results: Sequence[Result], subject: str = "ooarray") -> dict[tuple[str, str],
                                                                         dict[str, float]]:
    """Return each finished run's wall time and peak RSS over ``subject``'s on the same
    operation, keyed by ``(operation, system)``; above 1 means ``subject`` was faster
    (smaller)."""
    mine = {r.operation: r.measurement for r in results if r.system == subject and r.ok}
    ratios = {}
    for r in results:
        base = mine.get(r.operation)
        if r.ok and base is not None and r.measurement is not None:
            ratios[(r.operation, r.system)] = {
                "wall": r.measurement.wall / base.wall,
                "peak_rss": r.measurement.peak_rss / base.peak_rss}
    return ratios


def side_by_side(results: Sequence[Result], ratios: dict[tuple[str, str], dict[str, float]]
                  ) -> tuple[tuple[str, ...], list[list[str]]]:
    header = ("operation", "system", "reads", "wall s", "/ ooarray", "peak RSS", "/ ooarray",
              "+RSS", "cpu", "note")
    rows = []
    for r in results:
        cost, found = r.measurement, ratios.get((r.operation, r.system))
        if cost is None or not r.ok:
            rows.append([r.operation, r.system, r.format, "-", "-", "-", "-", "-", "-",
                         f"{r.status}: {r.note}"])
            continue
        rows.append([r.operation, r.system, r.format, f"{cost.wall:.3f}",
                     f"{found['wall']:.2f}" if found else "n/a", format_bytes(cost.peak_rss),
                     f"{found['peak_rss']:.2f}" if found else "n/a",
                     format_bytes(max(0, cost.peak_rss - cost.baseline_rss)),
                     f"{cost.cpu_utilisation:.1f}", r.note])
    return header, rows


def matrix(results: Sequence[Result], ratios: dict[tuple[str, str], dict[str, float]],
            key: str) -> tuple[list[str], list[list[str]]]:
    """Operations down, systems across, ``key`` of each ratio (or why there is none)."""
    systems = list(dict.fromkeys(r.system for r in results))
    status = {(r.operation, r.system): r.status for r in results}
    rows = []
    for operation in dict.fromkeys(r.operation for r in results):
        row = [operation]
        for system in systems:
            found = ratios.get((operation, system))
            row.append(f"{found[key]:.2f}" if found else
                       {OK: "-"}.get(status.get((operation, system), ""),
                                     status.get((operation, system), "-")))
        rows.append(row)
    return ["operation", *systems], rows


def markdown(results: Sequence[Result], ratios: dict[tuple[str, str], dict[str, float]],
              heading: str) -> str:
    parts = [f"# bench all\n\n{heading}\n"]
    for title, key in (("Wall time over ooarray's (above 1: ooarray faster)", "wall"),
                       ("Peak RSS over ooarray's (above 1: ooarray smaller)", "peak_rss")):
        parts.append(f"## {title}\n\n{format_markdown_table(*matrix(results, ratios, key))}\n")
    parts.append("## Every run\n\n" + format_markdown_table(*side_by_side(results, ratios))
                 + "\n")
    return "\n".join(parts)
