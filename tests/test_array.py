"""OOArray itself against ndarray: metadata, repr, basic slicing, transpose, astype, conversions
and in-place operators."""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import pytest
from helpers import (
    CASES,
    DTYPES,
    assert_like_numpy,
    chunked_arrays,
    chunkings,
    numpy_result,
    quiet,
    sample,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ooarray as oa


def computes_nothing(func):
    """Run ``func`` and assert that it ran no task."""
    before = oa.stats().tasks
    result = func()
    assert oa.stats().tasks == before, f"{oa.stats().tasks - before} tasks ran"
    return result


# -- metadata ---------------------------------------------------------------------------------
@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_metadata_matches_ndarray(case, dtype, rng):
    shape, chunks = case
    x = sample(shape, dtype, rng)
    a = oa.asarray(x, chunks=chunks)
    assert a.shape == x.shape and a.dtype == x.dtype and a.ndim == x.ndim
    assert a.size == x.size and a.itemsize == x.itemsize and a.nbytes == x.nbytes
    assert tuple(sum(c) for c in a.chunks) == x.shape
    assert a.numblocks == tuple(len(c) for c in a.chunks)
    assert a.npartitions == math.prod(a.numblocks)
    assert a.chunksize == tuple(max(c) for c in a.chunks)
    if x.ndim:
        assert len(a) == len(x)
    else:
        with pytest.raises(TypeError):
            len(x)
        with pytest.raises(TypeError):
            len(a)
    assert_like_numpy(a, x, exact=True)


def test_chunk_arguments():
    x = np.arange(70.0).reshape(10, 7)
    assert oa.asarray(x, chunks=3).chunks == ((3, 3, 3, 1), (3, 3, 1))
    assert oa.asarray(x, chunks=(4, -1)).chunks == ((4, 4, 2), (7,))
    assert oa.asarray(x, chunks=((5, 5), (2, 5))).chunks == ((5, 5), (2, 5))
    assert oa.asarray(x, chunks=1).npartitions == 70
    for bad in ((3,), ((5, 4), 7), (0, 7), "nonsense", (3, 2.5)):
        with pytest.raises(ValueError):
            oa.asarray(x, chunks=bad)


def test_repr_does_not_compute_and_names_metadata():
    a = oa.asarray(np.arange(12.0).reshape(3, 4), chunks=2)
    b = np.sqrt(a) + 1
    text = computes_nothing(lambda: repr(b))
    assert text.startswith("OOArray<") and "shape=(3, 4)" in text and "float64" in text
    assert "4 chunks" in text
    assert "shape=()" in computes_nothing(lambda: repr(b.sum()))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_str_of_small_arrays_is_numpys(case, rng):
    shape, chunks = case
    x = sample(shape, np.float64, rng)
    assert str(oa.asarray(x, chunks=chunks)) == str(x)


def test_unhashable():
    a = oa.asarray(np.arange(4))
    with pytest.raises(TypeError):
        hash(a)


# -- conversions ------------------------------------------------------------------------------
CONVERSIONS = [bool, int, float, complex, operator.index, lambda v: v.item(),
               lambda v: v.tolist(), lambda v: v.item(0), lambda v: v.item(-1)]


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("convert", CONVERSIONS)
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (2,), (0,), (2, 3)])
def test_python_conversions_like_ndarray(convert, shape, dtype, rng):
    x = sample(shape, dtype, rng, special=False)
    a = oa.asarray(x, chunks=1)
    expected, error = numpy_result(convert, x)
    if error is not None:
        with pytest.raises(type(error)):
            convert(a)
        return
    with quiet():
        got = convert(a)
    assert type(got) is type(expected)
    assert got == expected


def test_item_with_indices_computes_one_element(rng):
    x = sample((5, 6), np.int32, rng)
    a = oa.asarray(x, chunks=2)
    for args in [(0,), (7,), (-1,), (29,), (2, 3), (-1, -2)]:
        assert a.item(*args) == x.item(*args)
    for args in [(30,), (-31,), (5, 0), (0, 6)]:
        with pytest.raises(IndexError):
            x.item(*args)
        with pytest.raises(IndexError):
            a.item(*args)
    with pytest.raises(ValueError):
        a.item()


@pytest.mark.parametrize("dtype_arg", [None, np.float32, np.int8, np.complex128])
def test_numpy_asarray_and_array(dtype_arg, rng):
    x = sample((4, 5), np.float64, rng, special=False)
    a = oa.asarray(x, chunks=(3, 2))
    for convert in (np.asarray, np.array):
        got = convert(a, dtype=dtype_arg)
        want = convert(x, dtype=dtype_arg)
        assert type(got) is np.ndarray and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError):
        np.asarray(a, copy=False)


def test_iteration_yields_rows(rng):
    x = sample((3, 4), np.int64, rng)
    a = oa.asarray(x, chunks=2)
    rows = list(a)
    assert len(rows) == 3
    for row, want in zip(rows, x, strict=True):
        assert_like_numpy(row, want)
    with pytest.raises(TypeError):
        iter(oa.asarray(np.float64(1.0)))


# -- slicing ----------------------------------------------------------------------------------
@given(data=st.data())
def test_random_basic_indices(data):
    x, chunks = data.draw(chunked_arrays(max_side=7), label="array")
    index = data.draw(hnp.basic_indices(x.shape, min_dims=0, allow_newaxis=True,
                                        allow_ellipsis=True), label="index")
    a = oa.asarray(x, chunks=chunks)
    assert_like_numpy(a[index], x[index], exact=True)


@given(data=st.data())
def test_slices_of_slices_and_of_computed_arrays(data):
    x, chunks = data.draw(chunked_arrays([np.float64, np.int32], min_dims=1, max_side=8),
                          label="array")
    a = oa.asarray(x, chunks=chunks)
    first = data.draw(hnp.basic_indices(x.shape, allow_newaxis=True), label="first")
    y, b = x[first], a[first]
    second = data.draw(hnp.basic_indices(y.shape, allow_newaxis=True), label="second")
    assert_like_numpy(b[second], y[second], exact=True)
    with quiet():
        assert_like_numpy((a * 2 + 1)[first][second], (x * 2 + 1)[first][second], exact=True)


@pytest.mark.parametrize("steps", [(1, 1), (2, 3), (-1, -2), (-3, 1), (5, -4), (100, -100)])
def test_steps_across_ragged_chunks(steps, rng):
    x = sample((11, 9), np.float32, rng)
    for chunks in ((4, 4), (1, 2), ((3, 7, 1), (5, 4)), (11, 9)):
        a = oa.asarray(x, chunks=chunks)
        for start in (None, 0, 2, -1):
            index = (slice(start, None, steps[0]), slice(None, start, steps[1]))
            assert_like_numpy(a[index], x[index], exact=True)
        assert_like_numpy(a[1:-1:steps[0], ::steps[1]], x[1:-1:steps[0], ::steps[1]],
                          exact=True)


@pytest.mark.parametrize("index", [5, -6, (0, 4), (0, -5), (0, 0, 0), (..., ..., 0)],
                         ids=repr)
def test_out_of_range_and_too_many_indices_raise_index_error(index):
    x = np.arange(20).reshape(5, 4)
    a = oa.asarray(x, chunks=2)
    with pytest.raises(IndexError):
        x[index]
    with pytest.raises(IndexError):
        a[index]


@pytest.mark.parametrize("index", [1.5, "x", (0, 1.0), None], ids=repr)
def test_invalid_index_types_raise_like_numpy(index):
    x = np.arange(20).reshape(5, 4)
    a = oa.asarray(x, chunks=2)
    expected, error = numpy_result(operator.getitem, x, index)
    if error is None:
        assert_like_numpy(a[index], expected)
        return
    with pytest.raises(type(error)):
        a[index]


def test_zero_step_raises_value_error():
    a = oa.asarray(np.arange(5))
    with pytest.raises(ValueError):
        np.arange(5)[::0]
    with pytest.raises(ValueError):
        a[::0]


def test_integer_like_indices(rng):
    x = sample((6, 5), np.int64, rng)
    a = oa.asarray(x, chunks=2)
    indices = [np.int64(3), (np.int8(-1), np.uint8(2)), np.array(2),
               (slice(np.int64(1), np.int32(4)),)]
    for index in indices:
        assert_like_numpy(a[index], x[index])


# -- transpose --------------------------------------------------------------------------------
@given(data=st.data())
def test_random_transposes(data):
    x, chunks = data.draw(chunked_arrays(max_side=5), label="array")
    a = oa.asarray(x, chunks=chunks)
    axes = data.draw(st.permutations(range(x.ndim)), label="axes")
    assert_like_numpy(a.transpose(axes), x.transpose(axes), exact=True)
    assert_like_numpy(a.transpose(*axes) if axes else a.transpose(), x.transpose(*axes),
                      exact=True)
    assert_like_numpy(a.T, x.T, exact=True)
    negative = [axis - x.ndim for axis in axes]
    assert_like_numpy(a.transpose(negative), x.transpose(negative), exact=True)
    if x.ndim >= 2:
        assert_like_numpy(a.mT, x.mT, exact=True)


def test_bad_transposes_raise_like_numpy():
    x = np.zeros((2, 3, 4))
    a = oa.asarray(x)
    for axes in [(0, 1), (0, 1, 1), (0, 1, 3), (0, 1, 2, 3)]:
        expected, error = numpy_result(x.transpose, axes)
        assert error is not None
        with pytest.raises(type(error)):
            a.transpose(axes)
    with pytest.raises(ValueError):
        _ = np.zeros(3).mT
    with pytest.raises(ValueError):
        _ = oa.asarray(np.zeros(3)).mT


def test_transpose_then_slice_then_compute(rng):
    x = sample((5, 6, 7), np.complex128, rng)
    a = oa.asarray(x, chunks=(2, 4, 3))
    assert_like_numpy(a.T[::-2, 1:5, 3], x.T[::-2, 1:5, 3], exact=True)
    assert_like_numpy((a.transpose(1, 2, 0) + 1)[..., 0], (x.transpose(1, 2, 0) + 1)[..., 0])


# -- astype -----------------------------------------------------------------------------------
@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("target", DTYPES + [np.dtype(np.float16), np.dtype(np.uint16)],
                         ids=str)
def test_astype_every_pair(target, dtype, rng):
    x = sample((5, 4), dtype, rng, low=-300, high=300)
    a = oa.asarray(x, chunks=(2, 3))
    with quiet():
        expected = x.astype(target)
    assert_like_numpy(a.astype(target), expected, exact=True)
    for casting in ("safe", "same_kind"):
        if np.can_cast(dtype, target, casting):
            assert_like_numpy(a.astype(target, casting=casting), expected, exact=True)
        else:
            with pytest.raises(TypeError):
                x.astype(target, casting=casting)
            with pytest.raises(TypeError):
                a.astype(target, casting=casting)


def test_astype_copy_false_and_unsupported_dtypes():
    a = oa.asarray(np.arange(3.0))
    assert a.astype(np.float64, copy=False) is a
    for bad in (object, "U3", "datetime64[s]"):
        with pytest.raises(TypeError):
            a.astype(bad)


@pytest.mark.parametrize("source", [[1, 2, 3], [[1.5, 2], [3, 4]], 7, 2.5, True, [1 + 2j],
                                    np.float32(3)], ids=repr)
def test_asarray_of_python_data(source):
    assert_like_numpy(oa.asarray(source), np.asarray(source))
    assert_like_numpy(oa.array(source), np.array(source))
    expected, error = numpy_result(np.asarray, source, np.float32)
    if error is not None:
        with pytest.raises(type(error)):
            oa.asarray(source, dtype=np.float32)
    else:
        assert_like_numpy(oa.asarray(source, dtype=np.float32), expected)


# -- in-place operators -----------------------------------------------------------------------
INPLACE = [operator.iadd, operator.isub, operator.imul, operator.itruediv,
           operator.ifloordiv, operator.imod, operator.ipow, operator.iand, operator.ior,
           operator.ixor, operator.ilshift, operator.irshift]


@pytest.mark.usefixtures("sync_executor")
@pytest.mark.parametrize("op", INPLACE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", [2, 1.5, -1, "array", "row", "wide"], ids=str)
def test_inplace_operators_like_ndarray(op, other, dtype, rng):
    x = sample((4, 5), dtype, rng, low=1, high=6, special=False)
    if other == "array":
        other = sample((4, 5), dtype, rng, low=1, high=3, special=False)
    elif other == "row":
        other = sample((5,), dtype, rng, low=1, high=3, special=False)
    elif other == "wide":
        other = np.ones((2, 4, 5), dtype)
    a = oa.asarray(x, chunks=(3, 2))
    alias = a
    target = x.copy()
    try:
        with quiet():
            expected = op(target, other)
    except Exception as error:  # noqa: BLE001 -- ooarray must raise the same type
        with pytest.raises(type(error)), quiet():
            result = op(a, other)
            result.compute()
        return
    with quiet():
        result = op(a, other)
    assert result is a and alias is a
    assert_like_numpy(result, expected)
    assert_like_numpy(alias, expected)


def test_inplace_with_ooarray_operand_and_int_float_error():
    x = np.arange(6)
    a = oa.asarray(x, chunks=4)
    with pytest.raises(TypeError) as expected:
        x += 1.5
    with pytest.raises(type(expected.value)):
        a += 1.5
    b = oa.asarray(np.arange(6.0), chunks=5)
    b += a
    assert_like_numpy(b, np.arange(6.0) + np.arange(6))
    with pytest.raises(OverflowError):
        c = oa.asarray(np.arange(3, dtype=np.int8))
        c += 300


def test_inplace_rebinds_lazily(rng):
    x = sample((4, 4), np.float64, rng, special=False)
    a = oa.asarray(x, chunks=2)
    before = a.node
    computes_nothing(lambda: a.__iadd__(1))
    assert a.node is not before
    a *= 3
    assert_like_numpy(a, (x + 1) * 3)


def test_copy_and_rechunk_keep_values(rng):
    x = sample((7, 5), np.int32, rng)
    a = oa.asarray(x, chunks=(3, 2))
    assert_like_numpy(a.copy(), x)
    for chunks in ((2, 5), 1, ((1, 6), (4, 1))):
        b = a.rechunk(chunks)
        assert b.chunks == oa.asarray(x, chunks=chunks).chunks
        assert_like_numpy(b, x)


def test_chunkings_strategy_gives_valid_grids():
    @given(st.lists(st.integers(0, 6), max_size=4).map(tuple).flatmap(
        lambda shape: st.tuples(st.just(shape), chunkings(shape))))
    def run(pair):
        shape, chunks = pair
        grid = oa.zeros(shape, chunks=chunks).chunks
        assert tuple(sum(c) for c in grid) == shape
    run()


def test_size_one_axis_combinations_compute(rng):
    for shape in itertools.product([1, 3], repeat=3):
        x = sample(shape, np.float64, rng)
        assert_like_numpy(oa.asarray(x, chunks=2)[..., None] * 2, x[..., None] * 2)


@pytest.mark.parametrize("step", [10**4, 997, 3, -7, -(10**4)])
def test_strided_slices_read_about_one_input_chunk_per_task(step):
    """A coarse step must not make one task read the whole span it strides over."""
    from ooarray.plan.lower import Plan

    a = oa.arange(10**6, chunks=10**4)
    s = a[::step]
    chunk_bytes = 10**4 * a.itemsize
    plan = Plan(s.node, s.chunks)
    assert plan.max_task_bytes <= 3 * chunk_bytes + s.chunksize[0] * s.itemsize
    assert_like_numpy(s, np.arange(10**6)[::step])
    two = oa.asarray(np.arange(10**4).reshape(100, 100), chunks=10)[::-37, 5::31]
    assert_like_numpy(two, np.arange(10**4).reshape(100, 100)[::-37, 5::31])


def test_asarray_takes_the_values_of_the_moment_and_shares_only_frozen_arrays():
    # NumPy computes at the call: a lazy array built from a writable ndarray keeps the
    # values it had then (the ndarray is copied); a read-only one is shared, not copied.
    x = np.arange(5)
    copied, taken = oa.array(x), oa.asarray(x)
    expected = np.array(x)
    x[0] = 100
    assert_like_numpy(copied, expected)
    assert_like_numpy(taken, expected)
    frozen = np.arange(5.0)
    frozen.flags.writeable = False
    assert oa.asarray(frozen).node.array is frozen
    view = np.arange(5.0)[1:]
    view.flags.writeable = False  # a read-only view of a writable array is not frozen
    assert oa.asarray(view).node.array is not view


def test_dlpack_exports_the_computed_values(rng):
    x = sample((5, 4), np.float64, rng)
    a = oa.asarray(x, chunks=2) * 2
    assert a.__dlpack_device__() == (1, 0)
    np.testing.assert_array_equal(np.from_dlpack(a), x * 2)
    with oa.config.set(memory_limit="100B"), pytest.raises(oa.BudgetError):
        np.from_dlpack(a)  # 160 bytes of values do not fit: nothing is exported
    exported = np.from_dlpack(a, copy=False)
    exported[...] = 0  # the consumer's own buffer: the OOArray keeps its values
    np.testing.assert_array_equal(a.compute(), x * 2)
