"""Contractions against NumPy: tensordot, einsum, dot of N-D operands, inner, outer, vdot,
diagonal, trace and linalg.norm, over shapes, axes, chunkings, dtypes and small budgets."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_like_numpy, numpy_result, quiet

import ooarray as oa
from ooarray.algorithms.matmul import MatmulNode

pytestmark = pytest.mark.usefixtures("sync_executor")

DTYPES = [np.float64, np.float32, np.complex128, np.int64, np.int32, np.bool_]
#: chunks arguments: length 1, small, ragged, explicit uneven, whole
CHUNKS = [1, 2, 3, -1]


def _ragged(shape):
    """Uneven chunks on every axis: lengths 1, 2, 3, ... (the last one cut short)."""
    grid = []
    for n in shape:
        lengths, step = [], 1
        while sum(lengths) < n:
            lengths.append(min(step, n - sum(lengths)))
            step += 1
        grid.append(tuple(lengths) or -1)
    return tuple(grid)


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) > 0.5
    values = rng.standard_normal(shape) * 3
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def _pair(shape_a, shape_b, dtype, chunks_a=2, chunks_b=3):
    x, y = _values(shape_a, dtype, 1), _values(shape_b, dtype, 2)
    return x, y, oa.asarray(x, chunks=chunks_a), oa.asarray(y, chunks=chunks_b)


def _matmuls(array):
    """The MatmulNodes in the plan of ``array``."""
    found, pending = [], [array.node]
    while pending:
        node = pending.pop()
        found += [node] if isinstance(node, MatmulNode) else []
        pending.extend(node.inputs)
    return found


# -- tensordot --------------------------------------------------------------------------------
TENSORDOTS = [
    ((3, 4, 5), (4, 5, 2), 2), ((3, 4, 5), (5, 2), 1), ((3, 4), (2, 5), 0),
    ((3, 4, 5), (5, 4, 2), ([1, 2], [1, 0])), ((2, 3, 4), (3, 2), ([0, 1], [1, 0])),
    ((4, 3, 2), (2, 3, 4), ([0, 1, 2], [2, 1, 0])), ((5,), (5,), 1), ((5,), (6,), 0),
    ((2, 3), (3,), ([1], [0])), ((3, 4, 5), (4, 6), ([-2], [0])), ((6, 1, 4), (4, 1), (2, 0)),
    ((0, 3), (3, 4), 1), ((3, 0), (0, 4), 1), ((2, 3), (3, 2), ((1,), (0,))),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape_a, shape_b, axes", TENSORDOTS, ids=str)
def test_tensordot_matches_numpy(shape_a, shape_b, axes, dtype):
    x, y, a, b = _pair(shape_a, shape_b, dtype)
    assert_like_numpy(np.tensordot(a, b, axes), np.tensordot(x, y, axes))


@pytest.mark.parametrize("chunks_a", CHUNKS + [((1, 3, 2), (4, 1), (2, 2, 1))], ids=str)
@pytest.mark.parametrize("chunks_b", CHUNKS)
def test_tensordot_over_chunkings(chunks_a, chunks_b):
    x, y, a, b = _pair((6, 5, 5), (5, 5, 4), np.float64, chunks_a, chunks_b)
    for axes in (2, ([1, 2], [0, 1]), ([2, 1], [0, 1]), ([2], [1])):
        assert_like_numpy(np.tensordot(a, b, axes), np.tensordot(x, y, axes))
    assert_like_numpy(np.tensordot(a, y, 2), np.tensordot(x, y, 2))


@pytest.mark.parametrize("budget", ["20KB", "48KB"])
def test_small_budget_tiles_and_k_steps(budget):
    x, y = _values((6, 5, 9, 8), np.float64, 3), _values((9, 8, 9), np.float64, 4)
    with oa.config.set(memory_limit=budget):
        a, b = oa.asarray(x, chunks=(2, 5, 3, 8)), oa.asarray(y, chunks=(7, 2, 5))
        result = np.tensordot(a, b, 2)
        node, = _matmuls(result)
        if budget == "20KB":
            assert len(node.steps) > 1 and len(node.chunks[0]) > 1
        assert_like_numpy(result, np.tensordot(x, y, 2))
        assert_like_numpy(np.einsum("ijkl,klm->mj", a, b), np.einsum("ijkl,klm->mj", x, y))


def test_tensordot_errors_like_numpy():
    x, y, a, b = _pair((3, 4), (5, 4), np.float64)
    for axes in (1, ([0], [0, 1]), ([1], [5]), 3):
        _, error = numpy_result(np.tensordot, x, y, axes)
        with pytest.raises(type(error)):
            np.tensordot(a, b, axes)


# -- dot, inner, outer, vdot ------------------------------------------------------------------
DOTS = [((3, 4, 5), (5,)), ((3, 4, 5), (2, 5, 3)), ((2, 3), (4, 3, 2)), ((5,), (2, 5, 3)),
        ((2, 1, 3), (3, 4)), ((4, 2, 3), (2, 3, 5))]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape_a, shape_b", DOTS, ids=str)
def test_dot_of_nd_operands(shape_a, shape_b, dtype):
    x, y, a, b = _pair(shape_a, shape_b, dtype)
    expected, error = numpy_result(np.dot, x, y)
    if error is not None:
        with pytest.raises(type(error), match="not aligned"):
            np.dot(a, b)
        return
    assert_like_numpy(np.dot(a, b), expected)
    assert_like_numpy(np.dot(a, y), expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape_a, shape_b", [((5,), (5,)), ((3, 4), (4,)), ((2, 3, 4), (5, 4)),
                                              ((3, 4), (2, 3, 4)), ((), (3, 4)), ((4,), ())])
def test_inner(shape_a, shape_b, dtype):
    x, y, a, b = _pair(shape_a, shape_b, dtype)
    assert_like_numpy(np.inner(a, b), np.inner(x, y))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape_a, shape_b", [((5,), (3,)), ((2, 3), (4,)), ((2, 2), (3, 1, 2)),
                                              ((0,), (3,))])
def test_outer_and_vdot(shape_a, shape_b, dtype):
    x, y, a, b = _pair(shape_a, shape_b, dtype)
    assert_like_numpy(np.outer(a, b), np.outer(x, y))
    z = _values(shape_b, dtype, 5).reshape(-1)[:x.size].reshape(-1)
    if z.size == x.size:
        assert_like_numpy(np.vdot(a, z), np.vdot(x, z))
    assert_like_numpy(np.vdot(a, a), np.vdot(x, x))


def test_out_arguments():
    x, y, a, b = _pair((2, 3, 4), (5, 4, 2), np.float64)
    out = np.empty((2, 3, 5, 2))
    assert np.dot(a, b, out=out) is out
    np.testing.assert_allclose(out, np.dot(x, y), rtol=1e-12)
    out = np.empty((24, 40))
    assert np.outer(a, b, out=out) is out
    np.testing.assert_allclose(out, np.outer(x, y), rtol=1e-12)
    stored = oa.zeros((3,), dtype=np.float64)
    assert np.trace(a, 0, 0, 2, out=stored) is stored
    assert_like_numpy(stored, np.trace(x, 0, 0, 2))


def test_dot_family_errors_like_numpy():
    x, y, a, b = _pair((2, 3, 4), (5, 3, 2), np.float64)
    for func, args in [(np.dot, (a, b)), (np.inner, (a, b)), (np.vdot, (a, b))]:
        _, error = numpy_result(func, x, y)
        with pytest.raises(type(error)):
            func(*args)


# -- einsum -----------------------------------------------------------------------------------
EINSUMS = [
    ("ij,jk", [(3, 4), (4, 5)]), ("ij,jk->ki", [(3, 4), (4, 5)]), ("ij,kj->ik", [(3, 4), (5, 4)]),
    ("ii", [(4, 4)]), ("ii->i", [(4, 4)]), ("ij->", [(3, 4)]), ("ij->ji", [(3, 4)]),
    ("ij", [(3, 4)]), ("ji", [(3, 4)]), ("i,i", [(5,), (5,)]), ("i,j->ij", [(3,), (4,)]),
    ("i,i->i", [(5,), (5,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bjk->kbi", [(2, 3, 4), (2, 4, 5)]), ("...ij,...jk", [(5, 1, 2, 3), (4, 3, 2)]),
    ("i...,i...->...", [(3, 2, 2), (3, 2, 2)]), ("...i->...", [(2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("ab,cd,bc->ad", [(2, 3), (4, 5), (3, 4)]),
    ("iij,jk->ik", [(3, 3, 4), (4, 2)]), ("ijji->", [(2, 3, 3, 2)]), ("iji->j", [(3, 2, 3)]),
    ("ijk,ikl->jl", [(2, 3, 4), (2, 4, 5)]), ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ij,jk", [(2, 1), (3, 4)]), ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,jk,ki", [(2, 3), (3, 4), (4, 2)]), (",ij->ij", [(), (2, 3)]),
    ("ijk,jil->kl", [(3, 2, 4), (2, 3, 5)]), ("ij,j", [(4, 0), (0,)]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("subscripts, shapes", EINSUMS, ids=lambda v: str(v))
def test_einsum_matches_numpy(subscripts, shapes, dtype):
    xs = [_values(s, dtype, i) for i, s in enumerate(shapes)]
    arrays = [oa.asarray(x, chunks=_ragged(x.shape) if i else 2) for i, x in enumerate(xs)]
    expected = np.einsum(subscripts, *xs)
    assert_like_numpy(np.einsum(subscripts, *arrays), expected)
    if len(xs) > 1:  # an ndarray among the operands
        assert_like_numpy(np.einsum(subscripts, *([xs[0]] + arrays[1:])), expected)


def test_einsum_arguments():
    x, y, a, b = _pair((3, 4), (4, 5), np.float32)
    assert_like_numpy(np.einsum("ij,jk", a, b, dtype=np.float64),
                      np.einsum("ij,jk", x, y, dtype=np.float64))
    assert_like_numpy(np.einsum(a, [0, 1], b, [1, 2], [2, 0]),
                      np.einsum(x, [0, 1], y, [1, 2], [2, 0]))
    assert_like_numpy(np.einsum(a, [0, Ellipsis], a, [0, Ellipsis]),
                      np.einsum(x, [0, Ellipsis], x, [0, Ellipsis]))
    assert_like_numpy(np.einsum("ij,jk", a, b, optimize=True), np.einsum("ij,jk", x, y))
    out = np.empty((3, 5), np.float32)
    assert np.einsum("ij,jk", a, b, out=out) is out
    np.testing.assert_allclose(out, x @ y, rtol=1e-5)


@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk", [(3, 4), (5, 6)]), ("ii", [(3, 4)]), ("ij->k", [(2, 3)]), ("ij,jk->ii", [(2, 3)] * 2),
    ("i,i", [(3,)]), ("ij", [(3,)]), ("i$", [(3, 3)]), ("ij->i->j", [(2, 2)]),
])
def test_einsum_errors_like_numpy(subscripts, shapes):
    xs = [np.ones(s) for s in shapes]
    _, error = numpy_result(np.einsum, subscripts, *xs)
    assert error is not None
    with pytest.raises(type(error)):
        np.einsum(subscripts, *[oa.asarray(x) for x in xs])


ELLIPSIS_EINSUMS = [
    ("...i->i...", [(2, 3)]), ("...i->i...", [(1, 2, 3, 4)]), ("...i->i...", [(0, 0, 0, 0)]),
    ("...i->i...", [(3,)]), ("i...->...i", [(2, 3, 4)]), ("...ij->j...i", [(2, 3, 4, 5)]),
    ("i...j->j...i", [(2, 3, 4, 5)]), ("i...j->", [(2, 3, 4, 5)]), ("i...->i", [(2, 3)]),
    ("...ij,...jk", [(5, 1, 2, 3), (4, 3, 2)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 2)]),
    ("...ij,...jk->k...i", [(2, 1, 2, 3), (5, 3, 2)]), ("...ij,...jk->i...k", [(6, 2, 3), (3, 4)]),
    ("...,...", [(2, 3), (3,)]), ("...,...->...", [(2, 1), (1, 3)]),
    ("i...,...i", [(3, 2), (2, 3)]),
    ("...ii->...i", [(2, 3, 3)]), ("ii...->i...", [(3, 3, 2)]), ("...i,i", [(2, 3), (3,)]),
    ("...i,i->...", [(2, 3), (3,)]), ("i...,i...->i", [(3, 2, 4), (3, 1, 4)]), ("...", [(2, 3)]),
    ("...->", [(2, 3)]), ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 4)]),
    ("ij...,jk...->...ik", [(2, 3, 4, 1), (3, 5, 6)]), ("...j,j...->...", [(2, 3), (3,)]),
    ("a...,...b->ba...", [(2, 3, 4), (4, 5)]), ("Ba...,...b", [(2, 3, 4), (4, 5)]),
    ("...ij", [(3, 1, 2)]), ("ji...", [(2, 3, 4)]), ("...,ij->...ij", [(2,), (3, 4)]),
    ("ij->ij...", [(2, 3)]), ("...i,...i->...", [(4, 1, 3), (5, 3)]), ("...i->...i", [(0, 3)]),
]


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("chunks", [1, 2, -1], ids=str)
@pytest.mark.parametrize("subscripts, shapes", ELLIPSIS_EINSUMS, ids=lambda v: str(v))
def test_einsum_ellipsis_like_numpy(subscripts, shapes, chunks, eager):
    """Found by the differential test: np.einsum('...i->i...') of shape (2, 3) had shape (3,),
    NumPy's (3, 2): an output ``...`` after other labels stood for too few axes. Ellipses in
    inputs and output, broadcast between operands, and the implicit output; NumPy's error
    where an output without ``...`` would drop ellipsis axes."""
    xs = [np.arange(int(np.prod(s)), dtype=np.float64).reshape(s) + 1 for s in shapes]
    expected, error = numpy_result(np.einsum, subscripts, *xs)
    with oa.config.set(eager_bytes="1MiB" if eager else 0):
        arrays = [oa.asarray(x, chunks=chunks) for x in xs]
        if error is not None:
            with pytest.raises(type(error)):
                np.einsum(subscripts, *arrays)
            return
        result = np.einsum(subscripts, *arrays)
    assert_like_numpy(result, expected)


# -- diagonal and trace -----------------------------------------------------------------------
DIAGONALS = [((5, 5), 0, 0, 1), ((5, 7), 2, 0, 1), ((5, 7), -3, 1, 0), ((4, 3, 5), 1, 0, 2),
             ((4, 3, 5), -1, 2, 0), ((3, 4, 4, 2), 0, -2, 1), ((3, 4), 9, 0, 1),
             ((3, 4), -9, 0, 1), ((0, 4), 0, 0, 1)]


@pytest.mark.parametrize("chunks", CHUNKS + ["ragged"])
@pytest.mark.parametrize("shape, offset, axis1, axis2", DIAGONALS, ids=str)
def test_diagonal_and_trace(shape, offset, axis1, axis2, chunks):
    x = _values(shape, np.float64, 6)
    a = oa.asarray(x, chunks=_ragged(shape) if chunks == "ragged" else chunks)
    assert_like_numpy(np.diagonal(a, offset, axis1, axis2), np.diagonal(x, offset, axis1, axis2))
    assert_like_numpy(np.trace(a, offset, axis1, axis2), np.trace(x, offset, axis1, axis2))


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("dtype", DTYPES + [np.int8, np.uint8], ids=str)
def test_trace_dtypes(dtype):
    x = _values((4, 5, 3), dtype, 7)
    a = oa.asarray(x, chunks=2)
    assert_like_numpy(np.trace(a), np.trace(x))
    assert_like_numpy(np.trace(a, 1, 1, 2, dtype=np.float64),
                      np.trace(x, 1, 1, 2, dtype=np.float64))
    assert_like_numpy(np.diagonal(a), np.diagonal(x))


def test_diagonal_errors_like_numpy():
    for shape, args in [((3,), (0, 0, 1)), ((3, 3), (0, 1, 1)), ((3, 3), (0, 0, 2)),
                        ((3, 3), (0, -3, 0))]:
        x = np.ones(shape)
        for func in (np.diagonal, np.trace):
            _, error = numpy_result(func, x, *args)
            with pytest.raises(type(error)):
                func(oa.asarray(x), *args)


# -- norm -------------------------------------------------------------------------------------
VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1, -2]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.int32, np.bool_],
                         ids=str)
def test_vector_and_matrix_norms(dtype):
    x = _values((3, 4, 5), dtype, 8)
    a = oa.asarray(x, chunks=2)
    with quiet():
        for keepdims in (False, True):
            for ord in VECTOR_ORDS:
                for axis in (0, 1, -1):
                    assert_like_numpy(np.linalg.norm(a, ord, axis, keepdims),
                                      np.linalg.norm(x, ord, axis, keepdims), rtol=1e-4)
                assert_like_numpy(np.linalg.norm(a[0, 0], ord, keepdims=keepdims),
                                  np.linalg.norm(x[0, 0], ord, keepdims=keepdims), rtol=1e-4)
            for ord in MATRIX_ORDS:
                for axis in ((0, 1), (2, 0), (-1, -2)):
                    assert_like_numpy(np.linalg.norm(a, ord, axis, keepdims),
                                      np.linalg.norm(x, ord, axis, keepdims), rtol=1e-4)
                assert_like_numpy(np.linalg.norm(a[1], ord, keepdims=keepdims),
                                  np.linalg.norm(x[1], ord, keepdims=keepdims), rtol=1e-4)
            assert_like_numpy(np.linalg.norm(a, keepdims=keepdims),
                              np.linalg.norm(x, keepdims=keepdims), rtol=1e-4)


def test_svd_norms_in_memory_when_small_and_refused_when_large():
    x = _values((6, 5), np.float64, 9)
    a = oa.asarray(x, chunks=2)
    for ord in ("nuc", 2, -2):
        assert_like_numpy(np.linalg.norm(a, ord), np.linalg.norm(x, ord))
    with oa.config.set(memory_limit="16KB"):
        big = oa.ones((40, 40), chunks=8)
        with pytest.raises(TypeError, match="singular values"):
            np.linalg.norm(big, 2)
        assert_like_numpy(np.linalg.norm(big, "fro"), np.linalg.norm(np.ones((40, 40)), "fro"))


def test_norm_errors_like_numpy():
    for shape, ord, axis in [((3,), "fro", None), ((3, 3), 3, None), ((2, 2, 2), 2, None),
                             ((3, 3), None, (0, 0)), ((2, 2, 2), None, (0, 1, 2)),
                             ((3, 3), None, 2), ((3, 3), "nuc", 0), ((3,), None, 1.5)]:
        x = np.ones(shape)
        _, error = numpy_result(np.linalg.norm, x, ord, axis)
        assert error is not None
        with pytest.raises(type(error)):
            np.linalg.norm(oa.asarray(x), ord, axis)


def _stored(values, chunks):
    """An operand behind a store, so every read goes through the pool."""
    from ooarray.chunks import normalize_chunks
    from ooarray.plan.graph import SourceNode
    from ooarray.store.memory import MemoryStore

    grid = normalize_chunks(chunks, values.shape, values.itemsize)
    return oa.OOArray(SourceNode(MemoryStore(values.shape, values.dtype, grid, values)))


@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_operands_larger_than_the_budget(executor, tmp_path):
    # The operands (192 KB each) together are 1.5x the budget; the pool must never overshoot
    # it (the tile plan's working set is checked before anything runs).
    x, y = _values((40, 30, 20), np.float64, 10), _values((20, 30, 24), np.float64, 11)
    with oa.config.set(memory_limit="256KB", executor=executor):
        a, b = _stored(x, (4, 5, 10)), _stored(y, (10, 5, 4))
        np.einsum("ijk,kjl->li", a, b).to_npy(tmp_path / "e.npy")
        assert oa.execute.pool().overshoot_bytes == 0
        np.tensordot(a, b, ([1, 2], [1, 0])).to_npy(tmp_path / "t.npy")
        assert oa.execute.pool().overshoot_bytes == 0
        norm = np.linalg.norm(a, axis=(0, 2))
    np.testing.assert_allclose(np.load(tmp_path / "e.npy"), np.einsum("ijk,kjl->li", x, y),
                               rtol=1e-10)
    np.testing.assert_allclose(np.load(tmp_path / "t.npy"), np.tensordot(x, y, ([1, 2], [1, 0])),
                               rtol=1e-10)
    assert_like_numpy(norm, np.linalg.norm(x, axis=(0, 2)))


EMPTY_CONTRACTIONS = [
    ("i,i->i", [(0,), (0,)]), ("ij,ij->ij", [(0, 3), (0, 3)]),
    ("ijk,ikl->ijl", [(0, 0, 1), (0, 0, 1)]), ("bij,bjk->bik", [(0, 2, 2), (0, 2, 2)]),
    ("ij,jk->ik", [(2, 0), (0, 3)]), ("ij,jk,kl->il", [(2, 0), (0, 3), (3, 4)]),
    ("ij->j", [(0, 3)]), ("ij->", [(0, 3)]), ("...i,...i->...", [(0, 3), (0, 3)]),
    ("ii->i", [(0, 0)]), ("ii->", [(0, 1)]), ("ii->i", [(1, 0)]), ("iii->i", [(0, 3, 0)]),
    ("matmul", [(0, 2, 2), (2,)]), ("matmul", [(0, 1, 0), (0,)]), ("matmul", [(2, 0), (0, 3)]),
    ("matmul", [(3, 0, 4), (1, 4, 2)]), ("matmul", [(0, 3), (3,)]), ("matmul", [(3,), (3, 0)]),
    ("matmul", [(0,), (0,)]), ("dot", [(2, 0, 3), (4, 3, 0)]), ("dot", [(0,), (0,)]),
    ("inner", [(2, 0), (3, 0)]), ("vdot", [(0,), (0,)]), ("tensordot", [(2, 0), (0, 3)]),
]
_CALLS = {"matmul": np.matmul, "dot": np.dot, "inner": np.inner, "vdot": np.vdot,
          "tensordot": lambda a, b: np.tensordot(a, b, 1)}


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("chunks", [1, -1, "ragged"], ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.int8, np.bool_, np.complex64], ids=str)
@pytest.mark.parametrize("subscripts, shapes", EMPTY_CONTRACTIONS,
                         ids=[f"{s}-{'-'.join(map(str, sh))}" for s, sh in EMPTY_CONTRACTIONS])
def test_contractions_of_empty_operands(subscripts, shapes, dtype, chunks, eager):
    """Found by the differential test: einsum 'i,i->i' of shape (0,), 'ij,ij->ij' of (0, 3),
    matmul of (0, 2, 2) @ (2,) ... raised "cannot reshape array of size 0" in a matmul task
    (a size-0 batch). Products with no elements or no terms are NumPy's zeros, with no
    matmul planned; NumPy's errors stay NumPy's."""
    call = _CALLS.get(subscripts) or (lambda *ops: np.einsum(subscripts, *ops))
    operands = [np.ones(s, dtype) for s in shapes]
    expected, error = numpy_result(call, *operands)
    with oa.config.set(eager_bytes="1MiB" if eager else 0):
        arrays = [oa.asarray(o, chunks=_ragged(o.shape) if chunks == "ragged" else chunks)
                  for o in operands]
        if error is not None:
            with pytest.raises(type(error)):
                call(*arrays).compute()
            return
        result = call(*arrays)
    if eager and not isinstance(result, oa.OOArray):  # NumPy's scalar, as NumPy gives
        assert type(result) is type(expected) and result == expected
        return
    if not eager:
        assert not _matmuls(result)
    assert_like_numpy(result, expected)


@pytest.mark.parametrize("shape", [(0, 1), (0, 3), (0, 2, 3)], ids=str)
def test_einsum_single_operand_view_of_empty_diagonal_has_numpys_shape(shape):
    """NumPy's einsum views one operand whose labels all reach the output: a repeated label
    first seen with length 0 takes the next length (``np.einsum('ii->i', zeros((0, 1)))``
    has shape (1,)). NumPy's values there are read past the end of the empty buffer
    (undefined); ooarray gives zeros of NumPy's shape and dtype."""
    subscripts = "ii->i" if len(shape) == 2 else "iij->ij"
    x = np.zeros(shape)
    expected = np.einsum(subscripts, x)
    for chunks in (1, -1):
        result = np.einsum(subscripts, oa.asarray(x, chunks=chunks))
        assert isinstance(result, oa.OOArray)
        assert (result.shape, result.dtype) == (expected.shape, expected.dtype)
        np.testing.assert_array_equal(result.compute(), np.zeros(expected.shape))


_BIG = np.complex64(1e30 + 0j)
#: Complex products NumPy computes without GEMM (?dotu/?dotc, its own loops): an overflow
#: there is inf+0j, where GEMM's multiplication by alpha = 1+0j gives inf+nanj.
OVERFLOW_CASES = [
    ("dot", (1,), (1,)), ("dot", (5,), (5,)), ("dot", (1, 3), (3, 1)), ("dot", (3,), (3, 1)),
    ("dot", (2, 1), (1,)), ("dot", (1,), (1, 2)), ("dot", (1, 1), (1, 2)),
    ("dot", (2, 2), (2, 2)), ("dot", (2, 1), (1, 2)),  # GEMM in NumPy too: inf+nanj
    ("matmul", (3,), (3,)), ("matmul", (2, 1), (1, 2)), ("matmul", (4, 1, 3), (4, 3, 1)),
    ("matmul", (4, 2, 1), (4, 1, 2)), ("matmul", (1,), (1, 2)), ("matmul", (2, 1), (1,)),
    ("matmul", (2, 3), (3,)), ("matmul", (2, 2), (2, 2)), ("inner", (3,), (3,)),
    ("vdot", (3,), (3,)), ("einsum", (3,), (3,)), ("tensordot", (3,), (3,)),
    ("tensordot", (2, 1), (1, 2)), ("outer", (2,), (2,)),
]
_OVERFLOW_CALLS = {"dot": np.dot, "matmul": np.matmul, "inner": np.inner, "vdot": np.vdot,
                   "einsum": lambda a, b: np.einsum("i,i", a, b), "outer": np.outer,
                   "tensordot": lambda a, b: np.tensordot(a, b, 1)}


@pytest.mark.parametrize("eager", [False, True], ids=["planned", "eager"])
@pytest.mark.parametrize("chunks", [1, -1], ids=str)
@pytest.mark.parametrize("values", ["big", "inf"])
@pytest.mark.parametrize("func, shape_a, shape_b", OVERFLOW_CASES,
                         ids=[f"{f}-{a}-{b}" for f, a, b in OVERFLOW_CASES])
def test_complex_overflow_parts_like_numpy(func, shape_a, shape_b, values, chunks, eager):
    """Found by the differential test: np.dot of complex64 [1e30] with itself gave inf+nanj,
    NumPy inf+0j (NumPy's cdotu; ooarray's GEMM multiplied the product by alpha = 1+0j).
    Vector products, and np.matmul's over k = 1, are computed as NumPy computes them; GEMM
    products stay GEMM's (inf+nanj in both)."""
    a = np.full(shape_a, _BIG, np.complex64)
    b = np.full(shape_b, _BIG, np.complex64)
    # An infinite input to a product NumPy computes with BLAS ?dotu: the kernel mixes the
    # parts of its accumulators (NumPy's np.dot([inf, 1e30, 1e30], [1e30, 1e30, 1+1j]) is
    # nan+nanj, its einsum inf+nanj), and ooarray computes these as einsum does. There the
    # parts are compared as non-finite where NumPy's are, not bit for bit.
    kernels_own = values == "inf" and func not in ("einsum", "outer") and shape_a[-1] != 1
    if values == "inf":
        a.flat[0], b.flat[-1] = np.inf, 1 + 1j
    call = _OVERFLOW_CALLS[func]
    with quiet():
        expected = call(a, b)
        with oa.config.set(eager_bytes="1MiB" if eager else 0):
            result = call(oa.asarray(a, chunks=chunks), oa.asarray(b, chunks=chunks))
        got = result.compute() if isinstance(result, oa.OOArray) else result
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    assert np.shape(got) == np.shape(expected)
    for part in (np.real, np.imag):  # NaN where NumPy has NaN, inf where inf, part by part
        if kernels_own:
            assert np.array_equal(np.isfinite(part(got)), np.isfinite(part(expected)))
        else:
            np.testing.assert_array_equal(part(got), part(expected))
