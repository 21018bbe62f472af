"""Printing (ooarray/ops/printing.py): np.array2string, np.array_repr and np.array_str of an
OOArray give NumPy's text byte for byte, for every print option, while a summarised array
has only its corners computed: a stored array far larger than the budget prints within it,
reading a few chunks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ooarray as oa

pytestmark = pytest.mark.usefixtures("sync_executor")

SHAPES = [((), ()), ((0,), 2), ((3, 0), 2), ((7,), 3), ((2000,), 300), ((1001,), 1001),
          ((30, 40), (7, 9)), ((5, 300), (2, 50)), ((4, 5, 6), (3, 2, 5)),
          ((3, 400, 2), (2, 100, 1)), ((12, 12, 12), 5), ((2, 3, 4, 50), (1, 2, 3, 7)),
          ((1, 1, 2000), (1, 1, 333))]
PRINT_DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int64, np.float16, np.float32,
                                      np.float64, np.complex64)]
OPTIONS = [
    {}, {"edgeitems": 1}, {"edgeitems": 2, "threshold": 10}, {"edgeitems": 0},
    {"edgeitems": 5, "threshold": 100}, {"threshold": 0}, {"precision": 3, "suppress": True},
    {"floatmode": "fixed", "precision": 2}, {"floatmode": "unique"},
    {"floatmode": "maxprec_equal"}, {"sign": "+"}, {"sign": " "}, {"linewidth": 30},
    {"legacy": "1.13"}, {"legacy": "1.21"}, {"legacy": "1.25"}, {"legacy": "2.1"},
    {"legacy": "2.2"}, {"nanstr": "NaN", "infstr": "Inf"}, {"edgeitems": 20, "threshold": 50},
    {"formatter": {"float_kind": lambda v: f"{v:.2f}"}}, {"formatter": {"int": hex}},
    {"edgeitems": 1, "linewidth": 10, "legacy": "1.13"},
]
CALLS = {
    "array2string": np.array2string,
    "array_repr": np.array_repr,
    "array_str": np.array_str,
    "separator_prefix_suffix": lambda a: np.array2string(a, separator=", ", prefix="foo(",
                                                         suffix=")"),
    "width_precision": lambda a: np.array2string(a, max_line_width=20, precision=2),
    "threshold_edgeitems": lambda a: np.array2string(a, threshold=5, edgeitems=1),
    "repr_arguments": lambda a: np.array_repr(a, max_line_width=40, precision=3,
                                              suppress_small=True),
    "str_arguments": lambda a: np.array_str(a, 100, 1, True),
    "edgeitems_0": lambda a: np.array2string(a, edgeitems=0, threshold=3),
    "legacy_argument": lambda a: np.array2string(a, legacy="1.13", threshold=3),
    "sign_floatmode": lambda a: np.array2string(a, sign="+", floatmode="unique",
                                                threshold=7, edgeitems=2),
}


def _values(shape, dtype, rng) -> np.ndarray:
    """Varied magnitudes (the formatter's width and notation depend on them), NaN, +-inf."""
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -10**6), min(info.max, 10**6), shape,
                            endpoint=True).astype(dtype)
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 9, shape)
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    with np.errstate(over="ignore"):  # float16: some magnitudes become inf
        values = np.asarray(values).astype(dtype)
    if values.size > 4:
        flat = values.reshape(-1)
        for special in (np.nan, np.inf, -np.inf):
            flat[rng.integers(0, flat.size)] = special
    return values


def _text(call, value) -> tuple[str | None, type | None]:
    try:
        return call(value), None
    except Exception as error:  # noqa: BLE001 -- the test compares exception types
        return None, type(error)


@pytest.mark.parametrize("dtype", PRINT_DTYPES, ids=str)
@pytest.mark.parametrize("case", SHAPES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_text_is_numpys_byte_for_byte(case, dtype):
    """Five of OPTIONS (chosen per case) and NumPy's defaults, with every call."""
    rng = np.random.default_rng([len(case[0]), sum(case[0]), dtype.num])
    shape, chunks = case
    x = _values(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    checked = 0
    chosen = [OPTIONS[i] for i in rng.choice(len(OPTIONS), 5, replace=False)] + [{}]
    for options, (name, call) in itertools.product(chosen, CALLS.items()):
        with np.printoptions(**options):
            want, error = _text(call, x)
            got, got_error = _text(call, a)
        assert got_error is error, (name, options, got_error, error)
        assert got == want, f"{name} {options}:\n{got}\n!=\n{want}"
        checked += want is not None
    assert checked


def test_option_errors_are_numpys():
    x = np.arange(5000.0)
    a = oa.asarray(x, chunks=700)
    for kwargs in [{"threshold": "many"}, {"threshold": np.nan}, {"sign": "x"},
                   {"floatmode": "x"}, {"precision": -1},
                   {"formatter": {"float_kind": 3}}]:
        want, error = _text(lambda v, k=kwargs: np.array2string(v, **k), x)
        assert error is not None
        with pytest.raises(error):
            np.array2string(a, **kwargs)


def test_printoptions_context_and_override_repr():
    x = np.linspace(0, 1, 5000)
    a = oa.asarray(x, chunks=600)
    with np.printoptions(precision=2, edgeitems=4, linewidth=50):
        assert np.array_repr(a) == np.array_repr(x)
        assert np.array_str(a) == np.array_str(x)
    seen = []
    with np.printoptions(override_repr=lambda v: seen.append(v) or "custom"):
        assert np.array_repr(a) == "custom"
    assert seen == [a]  # NumPy hands over the array itself: here the OOArray


def test_a_stored_array_far_over_the_budget_prints_its_corners_only(tmp_path):
    path = tmp_path / "x.npy"
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(4000, 4000))
    x[:] = np.arange(4000.0)[:, None] * 1e-3 + np.arange(4000.0)
    x.flush()
    expected = {f: f(np.asarray(x) * 2) for f in (np.array2string, np.array_repr,
                                                    np.array_str)}
    with oa.config.set(memory_limit="2MB"):  # the array is 128 MB
        a = oa.open(path)
        for func, want in expected.items():
            with oa.collect_stats() as stats:
                text = func(a * 2)
            assert text == want
            assert 0 < stats.peak_bytes <= oa.config.get().memory_limit
            assert stats.bytes_read <= 4 * 128_000  # the corner chunks: 4 rows of 32 KB
        with oa.collect_stats() as stats:
            text = np.array2string(np.sqrt(a).T[::-1], edgeitems=4, precision=3)
        assert text == np.array2string(np.sqrt(np.asarray(x)).T[::-1], edgeitems=4,
                                       precision=3)
        assert stats.bytes_read < a.nbytes // 100
        # Printing everything (or edgeitems=0, where NumPy formats every element) needs the
        # whole array: refused before anything is read, as BudgetError.
        with oa.collect_stats() as stats:
            with pytest.raises(oa.BudgetError, match="edgeitems < 1"):
                np.array2string(a, edgeitems=0)
            with np.printoptions(threshold=10**9), \
                    pytest.raises(oa.BudgetError, match="not over threshold"):
                np.array_str(a)
        assert stats.bytes_read == 0
        # str() and repr() of the OOArray still compute nothing: metadata
        assert str(a) == repr(a) and "OOArray<shape=(4000, 4000)" in repr(a)


def test_small_arrays_print_as_numpy_and_str_agrees():
    x = np.arange(12.0).reshape(3, 4) / 7
    for eager in (0, "1MiB"):
        with oa.config.set(eager_bytes=eager):
            a = oa.asarray(x, chunks=2)
            assert np.array2string(a) == np.array2string(x)
            assert np.array_repr(a) == np.array_repr(x)
            assert np.array_str(a) == str(a) == str(x)
