"""The coverage report: each overridable NumPy function and each ufunc method is classified as
it behaves (out of core, in-memory fallback, raises), and docs/coverage.md is up to date."""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import numpy.lib.recfunctions as rfn
import pytest

import ooarray as oa
from ooarray.__main__ import main
from ooarray.core.dispatch import HANDLED_FUNCTIONS
from ooarray.diagnostics.coverage import (
    FALLBACK,
    NOT_APPLICABLE,
    OUT_OF_CORE,
    RAISES,
    UFUNC_METHOD_NAMES,
    coverage,
    coverage_markdown,
)
from ooarray.interop.fallback import InMemoryFallbackWarning, function_name

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "coverage.md"


@pytest.fixture(scope="module")
def report():
    return coverage()


def test_docs_coverage_md_is_up_to_date(report):
    assert DOCS.read_text(encoding="utf-8") == coverage_markdown(report), \
        "docs/coverage.md is stale: run python -m ooarray coverage --markdown docs/coverage.md"


def test_every_overridable_function_is_classified_as_the_registry_says(report):
    from numpy.testing.overrides import get_overridable_numpy_array_functions

    overridable = get_overridable_numpy_array_functions()  # coverage() imported its modules
    assert set(report.functions) == {function_name(f) for f in overridable}
    assert set(report.functions.values()) <= {OUT_OF_CORE, FALLBACK, RAISES}
    registered = {function_name(f) for f in HANDLED_FUNCTIONS if f in overridable}
    assert {n for n, s in report.functions.items() if s == OUT_OF_CORE} == registered
    assert set(oa.supported_functions()) >= registered
    assert report.functions["numpy.sum"] == OUT_OF_CORE
    assert report.functions["numpy.zeros"] == OUT_OF_CORE  # NEP 35 like=


def test_functions_classified_raises_do_raise(report):
    a = oa.asarray(np.arange(6.0))
    calls = {"numpy.copyto": lambda: np.copyto(a, 1.0), "numpy.put": lambda: np.put(a, [0], 1.0),
             "numpy.putmask": lambda: np.putmask(a, np.ones(6, bool), 0.0),
             "numpy.place": lambda: np.place(a, np.ones(6, bool), [0.0]),
             "numpy.fill_diagonal": lambda: np.fill_diagonal(oa.zeros((2, 2)), 1.0),
             "numpy.put_along_axis": lambda: np.put_along_axis(a, np.array([0]), 1.0, 0)}
    raising = [name for name, status in report.functions.items() if status == RAISES]
    assert raising, "no function is classified as raising"
    for name in raising:
        with pytest.raises(TypeError, match="in place"):
            calls[name]()


def test_functions_classified_fallback_fall_back_and_refuse_past_the_budget(report):
    # Functions that fall back by design (structured and datetime results) and take numeric
    # arrays; the numeric ones that fell back (packbits, array_str, polyval2d...) run out of
    # core now.
    candidates = [("numpy.lib.recfunctions.unstructured_to_structured",
                   rfn.unstructured_to_structured),
                  ("numpy.lib.recfunctions.merge_arrays", lambda x: rfn.merge_arrays((x, x))),
                  ("numpy.busday_offset", lambda x: np.busday_offset("2024-01-01", x))]
    checked = 0
    for name, func in candidates:
        if report.functions[name] != FALLBACK:
            continue
        x = np.arange(7, dtype=np.uint8) * 37
        with pytest.warns(InMemoryFallbackWarning):
            result = func(oa.asarray(x, chunks=3))
        expected = func(x)
        assert type(result) is type(expected) and result.dtype == expected.dtype
        assert result.tobytes() == expected.tobytes()
        with oa.config.set(memory_limit="64B"), pytest.raises(TypeError, match=name):
            func(oa.asarray(x))
        checked += 1
    assert checked, "every candidate is implemented now: pick other fallback functions"


def test_ufunc_methods_are_classified_as_they_behave(report):
    assert set(report.ufuncs) >= {"numpy.add", "numpy.sin", "numpy.matmul"}
    for methods in report.ufuncs.values():
        assert tuple(methods) == UFUNC_METHOD_NAMES
    assert report.ufuncs["numpy.sin"]["__call__"] == OUT_OF_CORE
    assert report.ufuncs["numpy.sin"]["reduce"] == NOT_APPLICABLE
    assert report.ufuncs["numpy.add"]["reduce"] == OUT_OF_CORE
    # ufunc.at scatters into an in-memory target; an OOArray target is never modified
    assert report.ufuncs["numpy.add"]["at"] == OUT_OF_CORE
    a = oa.asarray(np.arange(4.0), chunks=3)
    with pytest.raises(TypeError):
        np.add.at(a, [0], 1.0)
    target = np.zeros(3)
    np.add.at(target, oa.asarray(np.array([0, 2, 2])), 1.0)
    np.testing.assert_array_equal(target, [1.0, 0.0, 2.0])
    for method in ("accumulate", "outer"):
        call = getattr(np.add, method)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call(a, a) if method == "outer" else call(a)
        expected = call(np.arange(4.0), np.arange(4.0)) if method == "outer" \
            else call(np.arange(4.0))
        fell_back = any(issubclass(w.category, InMemoryFallbackWarning) for w in caught)
        assert fell_back == (report.ufuncs["numpy.add"][method] == FALLBACK)
        np.testing.assert_array_equal(np.asarray(result), expected)
    gufuncs = [name for name, m in report.ufuncs.items()
               if m["__call__"] == RAISES]
    for name in gufuncs[:2]:
        ufunc = getattr(np, name.removeprefix("numpy."))
        operands = [oa.ones((2, 2))] * ufunc.nin
        with pytest.raises(TypeError):
            ufunc(*operands)


def test_the_coverage_command_writes_the_markdown(tmp_path, capsys, report):
    path = tmp_path / "coverage.md"
    assert main(["coverage", "--markdown", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == coverage_markdown(report)
    printed = capsys.readouterr().out
    assert f"{report.count(OUT_OF_CORE)} out of core" in printed
