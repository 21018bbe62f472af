"""Joining, splitting and padding against NumPy: every shared (shape, chunks) case and dtype,
promotion, dtype=/casting=/out=, mixed inputs, every supported pad mode, the chunk grid,
NumPy's exception types, and the memory budget over data 4x its size."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import zarr
from helpers import CASES, DTYPES, assert_like_numpy, chunked_arrays, numpy_result, sample
from hypothesis import given
from hypothesis import strategies as st

import ooarray as oa
from ooarray.chunks import target_chunk_bytes


def _same(result, expected, exact=True):
    if isinstance(expected, list):
        assert isinstance(result, list) and len(result) == len(expected)
        for r, e in zip(result, expected, strict=True):
            assert_like_numpy(r, e, exact=exact)
    else:
        assert_like_numpy(result, expected, exact=exact)


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_joins_over_the_shared_cases(case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    y = sample(shape, np.int8, rng)  # a second dtype: NumPy's promotion
    a = oa.asarray(x, chunks=chunks)
    b = oa.asarray(y, chunks=1 if shape else ())
    for axis in range(len(shape)):
        _same(np.concatenate([a, y, b], axis=axis), np.concatenate([x, y, y], axis=axis))
        _same(np.concatenate([a, a], axis=axis), np.concatenate([x, x], axis=axis))
    _same(np.concatenate([a, b], axis=None), np.concatenate([x, y], axis=None))
    for axis in {0, -1, len(shape) // 2}:
        _same(np.stack([a, y], axis=axis), np.stack([x, y], axis=axis))
    for func in (np.vstack, np.hstack, np.dstack, np.column_stack):
        if func is np.column_stack and len(shape) > 2:
            continue
        expected, error = numpy_result(func, [x, y])
        if error is None:
            _same(func([a, b]), expected)
        else:
            with pytest.raises(type(error)):
                func([a, b])


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("case", CASES[1:], ids=lambda c: f"{c[0]}-{c[1]}")
def test_splits_over_the_shared_cases(case, rng):
    shape, chunks = case
    x = sample(shape, np.float64, rng)
    a = oa.asarray(x, chunks=chunks)
    for axis in range(len(shape)):
        for sections in (1, 2, 3, [1, 3], [2, -1, 100], []):
            _same(np.array_split(a, sections, axis), np.array_split(x, sections, axis))
            expected, error = numpy_result(np.split, x, sections, axis)
            if error is None:
                _same(np.split(a, sections, axis), expected)
            else:
                with pytest.raises(type(error)):
                    np.split(a, sections, axis)
        _same(list(np.unstack(a, axis=axis)), list(np.unstack(x, axis=axis)))
        _same(np.append(a, x, axis=axis), np.append(x, x, axis=axis))
    _same(np.append(a, [1, 2]), np.append(x, [1, 2]))
    for func in (np.hsplit, np.vsplit, np.dsplit):
        expected, error = numpy_result(func, x, 1)
        if error is None:
            _same(func(a, 1), expected)
        else:
            with pytest.raises(type(error)):
                func(a, 1)


@pytest.mark.usefixtures("sync_executor")
def test_dtype_casting_and_out():
    x, y = np.arange(6.5, step=0.5).reshape(13, 1), np.arange(3, dtype=np.int16).reshape(3, 1)
    a, b = oa.asarray(x, chunks=4), oa.asarray(y)
    _same(np.concatenate([a, b], dtype=np.float32), np.concatenate([x, y], dtype=np.float32),
          exact=False)
    _same(np.concatenate([a, b], dtype=np.int8, casting="unsafe"),
          np.concatenate([x, y], dtype=np.int8, casting="unsafe"))
    _same(np.stack([b, b], dtype=np.complex128), np.stack([y, y], dtype=np.complex128))
    _same(np.vstack([b, b], dtype=np.float32), np.vstack([y, y], dtype=np.float32))
    _same(np.hstack([b, b], dtype=np.int64), np.hstack([y, y], dtype=np.int64))
    with pytest.raises(TypeError):
        np.concatenate([a, b], dtype=np.int8)  # same_kind refuses float -> int
    with pytest.raises(TypeError):
        np.concatenate([a, b], out=np.empty((16, 1)), dtype=np.float64)
    target = oa.zeros((16, 1), dtype=np.float32)
    assert np.concatenate([a, b], out=target) is target
    _same(target, np.concatenate([x, y]).astype(np.float32), exact=False)
    filled = np.empty((16, 1))
    assert np.concatenate([a, b], out=filled) is filled
    np.testing.assert_array_equal(filled, np.concatenate([x, y]))
    with pytest.raises(TypeError):
        np.concatenate([a, b], out=np.empty((16, 1), dtype=np.int64))
    with pytest.raises(ValueError):
        np.concatenate([a, b], out=np.empty((15, 1)))


@pytest.mark.usefixtures("sync_executor")
def test_block_nesting():
    x = np.arange(4).reshape(2, 2)
    a = oa.asarray(x, chunks=1)
    cases = [
        lambda m, v: m.block([[v, v], [v, v]]),
        lambda m, v: m.block([[[v]], [[v]]]),
        lambda m, v: m.block([1, 2, v[0]]),
        lambda m, v: m.block(v),
        lambda m, v: m.block([[v, np.zeros((2, 1), np.int8)], [np.ones((1, 3))]]),
        lambda m, v: m.block([[[v, v]]]),
    ]
    for call in cases:
        _same(call(np, a), call(np, x))
    bad = [lambda v: [], lambda v: [[v], v], lambda v: ([v],), lambda v: [[v], []],
           lambda v: [[v, v], [v]]]
    for make in bad:
        _, error = numpy_result(np.block, make(x))
        assert error is not None
        with pytest.raises(type(error)):
            np.block(make(a))


JOIN_ERRORS = [
    ("empty", lambda m, x: m.concatenate([])),
    ("0-d", lambda m, x: m.concatenate([x[0, 0], x[0, 0]])),
    ("ndim mismatch", lambda m, x: m.concatenate([x, x[0]])),
    ("shape mismatch", lambda m, x: m.concatenate([x, x[:, :2]], axis=0)),
    ("bad axis", lambda m, x: m.concatenate([x, x], axis=2)),
    ("out and dtype", lambda m, x: m.concatenate([x, x], out=np.empty((4, 3)), dtype=float)),
    ("stack empty", lambda m, x: m.stack([])),
    ("stack shapes", lambda m, x: m.stack([x, x[:1]])),
    ("stack bad axis", lambda m, x: m.stack([x, x], axis=3)),
    ("vstack empty", lambda m, x: m.vstack([])),
    ("split unequal", lambda m, x: m.split(x, 2, axis=1)),
    ("array_split zero", lambda m, x: m.array_split(x, 0)),
    ("hsplit 0-d", lambda m, x: m.hsplit(x[0, 0], 1)),
    ("vsplit 1-d", lambda m, x: m.vsplit(x[0], 1)),
    ("dsplit 2-d", lambda m, x: m.dsplit(x, 1)),
    ("unstack 0-d", lambda m, x: m.unstack(x[0, 0])),
    ("unstack bad axis", lambda m, x: m.unstack(x, axis=2)),
    ("append shapes", lambda m, x: m.append(x, x[0], axis=0)),
]


@pytest.mark.parametrize("name, call", JOIN_ERRORS, ids=[e[0] for e in JOIN_ERRORS])
def test_join_errors_are_numpys(name, call):
    x = np.arange(6).reshape(2, 3)
    _, expected = numpy_result(call, np, x)
    assert expected is not None, f"NumPy accepted {name}"
    with pytest.raises(type(expected)):
        call(np, oa.asarray(x))


# -- pad ------------------------------------------------------------------------------------
PAD_MODES = [
    ("constant", {}), ("constant", {"constant_values": ((1, 2), (3, 4), (5, 6))}),
    ("constant", {"constant_values": 7.9}), ("empty", {}), ("edge", {}), ("wrap", {}),
    ("reflect", {}), ("reflect", {"reflect_type": "odd"}), ("symmetric", {}),
    ("symmetric", {"reflect_type": "odd"}), ("linear_ramp", {}),
    ("linear_ramp", {"end_values": ((-5, 5), (2, 3), (0, 9))}), ("maximum", {}),
    ("minimum", {"stat_length": 2}), ("mean", {}), ("mean", {"stat_length": ((1, 3),)}),
    ("maximum", {"stat_length": ((1, 100), (2, 1), (3, 3))}),
]
WIDTHS = [0, 1, (2, 9), ((7, 0), (1, 4), (0, 3))]


def _pad_ids(entry):
    return f"{entry[0]}-{'-'.join(entry[1])}"


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("mode, kwargs", PAD_MODES, ids=[_pad_ids(m) for m in PAD_MODES])
@pytest.mark.parametrize("shape, chunks", [((4,), 3), ((3, 5), (2, 2)), ((2, 3, 4), (1, 2, 3)),
                                           ((1, 3), -1)], ids=str)
def test_pad_modes(mode, kwargs, shape, chunks, rng):
    for dtype in (np.uint8, np.complex128, np.bool_):  # wrap-around, rounding, bool casts
        x = sample(shape, dtype, rng, special=False)
        a = oa.asarray(x, chunks=chunks)
        # boolean odd reflections repeat NumPy's rounds (a plan growing with width / length);
        # 3-D arrays of tiny chunks skip the widest pad (hundreds of tasks, for time)
        odd_bool = kwargs.get("reflect_type") == "odd" and dtype == np.bool_
        for width in [0, 1, (2, 3)] if odd_bool and len(shape) > 1 else \
                WIDTHS if len(shape) < 3 else WIDTHS[:2] + WIDTHS[3:]:
            width = width if not isinstance(width, tuple) or not isinstance(width[0], tuple) \
                else width[:len(shape)]
            expected, error = numpy_result(np.pad, x, width, mode, **_pairs(kwargs, len(shape)))
            if error is not None:
                with pytest.raises(type(error)):
                    np.pad(a, width, mode, **_pairs(kwargs, len(shape)))
                continue
            result = np.pad(a, width, mode, **_pairs(kwargs, len(shape)))
            if mode == "empty":  # undefined values: shape and dtype only
                assert result.shape == expected.shape and result.dtype == expected.dtype
                continue
            assert_like_numpy(result, expected, exact=dtype != np.float64 and
                              dtype != np.complex128)


def _pairs(kwargs, ndim):
    return {k: v[:ndim] if isinstance(v, tuple) and len(v) > 1 and isinstance(v[0], tuple)
            else v for k, v in kwargs.items()}


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_pad_over_the_shared_cases(case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    for mode in ("constant", "reflect", "mean"):  # the others: test_pad_modes
        expected, error = numpy_result(np.pad, x, (1, 2), mode)
        if error is not None:
            with pytest.raises(type(error)):
                np.pad(a, (1, 2), mode)
        else:
            assert_like_numpy(np.pad(a, (1, 2), mode), expected)
    if shape:
        assert_like_numpy(np.pad(a, {0: 3}, "constant"), np.pad(x, {0: 3}, "constant"))


EMPTY_PAD_MODES = [m for m, _ in PAD_MODES[::-1] if m not in ("empty",)] + ["median"]


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("mode", sorted(set(EMPTY_PAD_MODES)))
@pytest.mark.parametrize("shape, chunks", [((0,), 1), ((0, 0), -1), ((0, 3), (1, 2)),
                                           ((2, 0), 1), ((0, 1, 2), (1, 1, 1))], ids=str)
def test_pad_of_empty_arrays(shape, chunks, mode, eager):
    """Found by the differential test: padding only the far side of an empty axis kept the
    axis empty (np.pad(zeros((0, 0)), ((0, 0), (0, 1))) had shape (0, 0), NumPy's (0, 1)).
    Every mode, with NumPy's error where it refuses to extend an empty axis; 'median' too
    (nothing is ever reduced)."""
    x = np.zeros(shape, np.int16)
    nd = len(shape)
    widths = [0, 1, (0, 1), (2, 0), [(0, 0)] * (nd - 1) + [(0, 1)],
              [(0, 1)] + [(0, 0)] * (nd - 1), [(1, 0)] + [(0, 2)] * (nd - 1)]
    with oa.config.set(eager_bytes="1MiB" if eager else 0):
        for width in widths:
            expected, error = numpy_result(np.pad, x, width, mode)
            if error is not None:
                with pytest.raises(type(error)):
                    np.pad(oa.asarray(x, chunks=chunks), width, mode)
                continue
            result = np.pad(oa.asarray(x, chunks=chunks), width, mode)
            assert_like_numpy(result, expected)
    for values in (0, 7, ((1, 2),) * nd):  # constant values fill what an empty axis becomes
        assert_like_numpy(np.pad(oa.asarray(x, chunks=chunks), [(0, 1)] * nd,
                                 constant_values=values),
                          np.pad(x, [(0, 1)] * nd, constant_values=values))


PAD_ERRORS = [
    ("unknown mode", lambda m, x: m.pad(x, 1, "foo")),
    ("kwargs", lambda m, x: m.pad(x, 1, "edge", constant_values=1)),
    ("float width", lambda m, x: m.pad(x, 1.5)),
    ("negative width", lambda m, x: m.pad(x, -1)),
    ("width shape", lambda m, x: m.pad(x, ((1, 2, 3),))),
    ("empty axis", lambda m, x: m.pad(x[:0], 1, "wrap")),
    ("stat length 0", lambda m, x: m.pad(x, 1, "maximum", stat_length=0)),
]


@pytest.mark.parametrize("name, call", PAD_ERRORS, ids=[e[0] for e in PAD_ERRORS])
def test_pad_errors_are_numpys(name, call):
    x = np.arange(6).reshape(2, 3)
    _, expected = numpy_result(call, np, x)
    assert expected is not None, f"NumPy accepted {name}"
    with pytest.raises(type(expected)):
        call(np, oa.asarray(x))


def test_linear_ramps_wider_than_a_chunk():
    x = np.arange(12, dtype=np.int16).reshape(3, 4) * 7
    with oa.config.set(memory_limit="1MB"):
        result = np.pad(oa.asarray(x), ((5000, 3001), (2, 0)), "linear_ramp",
                        end_values=((-100, 50), (9, 0)))
        assert len(result.chunks[0]) > 3  # the ramps are cut into several chunks
        assert_like_numpy(result, np.pad(x, ((5000, 3001), (2, 0)), "linear_ramp",
                                         end_values=((-100, 50), (9, 0))))


def test_pad_modes_it_cannot_do_say_which_it_can():
    a = oa.arange(4)
    for mode in ("median", lambda vector, width, axis, kwargs: None):
        with pytest.raises(NotImplementedError, match="supported modes: constant"):
            np.pad(a, 1, mode)


@given(chunked_arrays(DTYPES, min_dims=1, max_dims=3, min_side=1),
       st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]),
       st.integers(0, 12), st.integers(0, 12))
def test_pad_property(array_chunks, mode, before, after):
    x, chunks = array_chunks
    assert_like_numpy(np.pad(oa.asarray(x, chunks=chunks), (before, after), mode),
                      np.pad(x, (before, after), mode), exact=True)


@given(chunked_arrays([np.dtype(np.int8), np.dtype(np.int64), np.dtype(np.float32),
                       np.dtype(np.complex128)], min_dims=1, max_dims=2, min_side=1,
                      elements=st.integers(-100, 100)),
       st.sampled_from(["reflect", "symmetric"]), st.integers(0, 40), st.integers(0, 40))
def test_odd_reflection_property(array_chunks, mode, before, after):
    x, chunks = array_chunks
    expected = np.pad(x, (before, after), mode, reflect_type="odd")  # int8 wraps around
    assert_like_numpy(np.pad(oa.asarray(x, chunks=chunks), (before, after), mode,
                             reflect_type="odd"), expected)


@given(st.lists(chunked_arrays(DTYPES, min_dims=2, max_dims=2, min_side=1, max_side=4),
                min_size=1, max_size=4), st.integers(0, 1))
def test_concatenate_property(arrays_chunks, axis):
    other = 1 - axis
    length = arrays_chunks[0][0].shape[other]
    arrays = [x for x, _ in arrays_chunks if x.shape[other] == length]
    chunked = [oa.asarray(x, chunks=c) for x, c in arrays_chunks if x.shape[other] == length]
    assert_like_numpy(np.concatenate(chunked, axis), np.concatenate(arrays, axis), exact=True)


# -- chunk grid and reads ---------------------------------------------------------------------
def test_join_chunks_stay_within_the_target_size():
    with oa.config.set(memory_limit="4MB"):
        target = target_chunk_bytes(oa.config.get().memory_limit)
        small = oa.asarray(np.zeros((2000, 500), np.int8), chunks=-1)  # 1 MB in one chunk
        wide = np.concatenate([small, np.ones((1, 500))])  # float64: 8x the bytes
        assert math.prod(wide.chunksize) * wide.itemsize <= max(target, small.nbytes)
        padded = np.pad(oa.zeros((1000, 1000)), 300, "edge")
        assert math.prod(padded.chunksize) * padded.itemsize <= target
        assert_like_numpy(wide[-3:, :4], np.concatenate([np.zeros((2, 4)), np.ones((1, 4))]))


def test_a_region_inside_one_input_is_a_view_of_it():
    x = np.arange(20.0)
    a = np.concatenate([oa.asarray(x, chunks=5), oa.asarray(x, chunks=5)])
    assert a.chunks == ((5,) * 8,)
    assert a.node.scratch_bytes((slice(5, 10),)) == 0
    assert a.node.scratch_bytes((slice(18, 22),)) == 4 * 8


def test_joins_are_lazy_and_read_only_the_inputs_a_region_spans():
    from ooarray.plan.graph import SourceNode
    from ooarray.store.generated import GeneratedStore

    reads = []

    def counted(name):
        def fill(index, region, out):
            reads.append((name, index))
            out[...] = np.arange(region[0].start, region[0].stop)
        return oa.OOArray(SourceNode(GeneratedStore((100,), np.int64, ((10,) * 10,), fill,
                                                    name)))

    a, b = counted("a"), counted("b")
    joined = np.concatenate([a, b])
    padded = np.pad(joined, 30, mode="reflect")
    parts = np.split(joined, 4)
    assert reads == []
    assert_like_numpy(joined[105:110], np.arange(5, 10))
    assert reads == [("b", (0,))]
    reads.clear()
    assert_like_numpy(padded[:3], np.array([30, 29, 28]))  # reflected from a[28:31]
    assert sorted(reads) == [("a", (2,)), ("a", (3,))]
    reads.clear()
    assert_like_numpy(parts[3][-1:], np.array([99]))
    assert reads == [("b", (9,))]


# -- memory ----------------------------------------------------------------------------------
MiB = 2**20
BUDGET = 16 * MiB
ROWS, COLUMNS = 2048, 2048  # 32 MiB of float64 each: two are 4x the budget

MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    directory, budget = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit=budget)
    a, b = oa.open(f"{directory}/a.zarr"), oa.open(f"{directory}/b.zarr")
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        joined = np.concatenate([a, np.flip(b, 0)], axis=1)
        result = np.pad(np.roll(joined, 700, axis=0), ((3, 5), (0, 0)), mode="reflect")
        total = float(result.sum())
        result.to_zarr(f"{directory}/c.zarr", overwrite=True)
    print(json.dumps({"total": total, "baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_join_roll_pad_of_data_4x_the_budget_stays_within_it(tmp_path):
    with oa.config.set(memory_limit="64MB"):
        rng = oa.random.default_rng(11)
        for name in "ab":
            rng.standard_normal((ROWS, COLUMNS), chunks=256).to_zarr(tmp_path / f"{name}.zarr")
    run = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path), str(BUDGET)],
                         capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    a, b, c = (zarr.open_array(str(tmp_path / f"{name}.zarr"))[...] for name in "abc")
    expected = np.pad(np.roll(np.concatenate([a, b[::-1]], axis=1), 700, axis=0),
                      ((3, 5), (0, 0)), mode="reflect")
    np.testing.assert_array_equal(c, expected)
    np.testing.assert_allclose(measured["total"], expected.sum(), rtol=1e-10)
    assert measured["read"] >= 2 * 2 * ROWS * COLUMNS * 8  # both passes read all the data
    assert measured["pool_peak"] <= BUDGET
    growth = measured["peak"] - measured["baseline"]
    assert growth < 2 * BUDGET + 16 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 16 MiB"
