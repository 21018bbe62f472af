"""Matrix decompositions against NumPy: TSQR qr/svd/lstsq, blocked Cholesky and solve, and the
in-memory rest of numpy.linalg. Budgets are small so the blocked paths run with several blocks."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ooarray as oa
from ooarray.ops.decompositions import cholesky_tile, tsqr_rows
from ooarray.algorithms.decompositions import ConcatRowsNode, TSQRApplyNode
from tests.helpers import assert_like_numpy, tolerance

DTYPES = [np.float64, np.float32, np.complex128]
#: (m, n, chunks): several row blocks, ragged chunks, column chunks, one column, square.
TALL = [(100, 5, 7), (203, 6, (50, 4)), (37, 7, 5), (40, 1, 3), (9, 9, 4)]
#: (n, chunks) of square matrices for Cholesky.
SQUARE = [(30, 7), (17, 17), (50, (20, 30)), (1, 1)]


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def _spd(n, dtype, seed):
    x = _values((n, n), dtype, seed)
    return (x @ x.conj().T + n * np.eye(n)).astype(dtype)


def _tall_budget(m, n, dtype):
    """Small enough for two or three TSQR row blocks, large enough to hold the result."""
    itemsize = np.dtype(dtype).itemsize
    return max(6 * m * n, 24 * n * n) * itemsize + 4000


def _square_budget(n, dtype):
    return max(3 * n * n * np.dtype(dtype).itemsize, 4000)


def _loose(dtype):
    return 50 * tolerance(dtype)


# -- QR -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m, n, chunks", TALL)
def test_qr_matches_numpy_with_its_signs(m, n, chunks, dtype):
    x = _values((m, n), dtype, 1)
    with oa.config.set(memory_limit=_tall_budget(m, n, dtype)):
        result = np.linalg.qr(oa.asarray(x, chunks=chunks))
        expected = np.linalg.qr(x)
        assert type(result) is type(expected)
        if m >= 100:
            assert len(result.Q.node.blocks) >= 2
        q = assert_like_numpy(result.Q, expected.Q, rtol=_loose(dtype))
        r = assert_like_numpy(result.R, expected.R, rtol=_loose(dtype))
        assert_like_numpy(np.linalg.qr(oa.asarray(x, chunks=chunks), mode="r"),
                          np.linalg.qr(x, mode="r"), rtol=_loose(dtype))
    np.testing.assert_allclose(q.conj().T @ q, np.eye(n), atol=_loose(dtype))
    assert np.all(np.tril(r, -1) == 0)


def test_qr_of_rank_deficient_matrix_still_factors():
    x = _values((60, 4), np.float64, 2)
    x[:, 3] = x[:, 1]
    with oa.config.set(memory_limit=_tall_budget(60, 4, np.float64)):
        q, r = (part.compute() for part in np.linalg.qr(oa.asarray(x, chunks=8)))
    np.testing.assert_allclose(q @ r, x, atol=1e-12)
    np.testing.assert_allclose(np.abs(r), np.abs(np.linalg.qr(x).R), atol=1e-12)


def test_qr_modes_in_memory_and_their_limits():
    x = _values((30, 4), np.float64, 3)
    a = oa.asarray(x, chunks=7)
    for mode in ("complete", "raw"):
        for got, want in zip(np.linalg.qr(a, mode=mode), np.linalg.qr(x, mode=mode), strict=True):
            assert_like_numpy(got, want)
    wide = np.linalg.qr(a.T)  # short-fat: in memory
    assert_like_numpy(wide.R, np.linalg.qr(x.T).R)
    with oa.config.set(memory_limit="4KB"):
        with pytest.raises(TypeError, match="numpy.linalg.qr.*complete"):
            np.linalg.qr(a, mode="complete")
    with pytest.raises(ValueError, match="Unrecognized mode"):
        np.linalg.qr(a, mode="bogus")
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        np.linalg.qr(oa.ones(4))


def test_qr_is_lazy():
    a = oa.asarray(_values((50, 3), np.float64, 4), chunks=10)
    before = oa.stats().tasks
    q, r = np.linalg.qr(a)
    q @ r
    assert oa.stats().tasks == before


# -- SVD --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m, n, chunks", TALL[:3])
@pytest.mark.parametrize("wide", [False, True])
def test_svd_reconstructs_and_matches_singular_values(m, n, chunks, dtype, wide):
    x = _values((m, n), dtype, 5)
    x = x.T.copy() if wide else x
    with oa.config.set(memory_limit=_tall_budget(m, n, dtype)):
        a = oa.asarray(x, chunks=chunks)
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        want = np.linalg.svd(x, full_matrices=False)
        for got, expected in zip((u, s, vh), want, strict=True):
            assert got.shape == expected.shape and got.dtype == expected.dtype
        values = assert_like_numpy(s, want.S, rtol=_loose(dtype))
        assert_like_numpy(np.linalg.svd(a, compute_uv=False), want.S, rtol=_loose(dtype))
        assert_like_numpy(np.linalg.svdvals(a), want.S, rtol=_loose(dtype))
        left, right = u.compute(), vh.compute()
    k = min(m, n)
    np.testing.assert_allclose((left * values) @ right, x, atol=_loose(dtype) * values[0])
    np.testing.assert_allclose(left.conj().T @ left, np.eye(k), atol=_loose(dtype))
    np.testing.assert_allclose(right @ right.conj().T, np.eye(k), atol=_loose(dtype))


def test_svd_full_matrices_only_in_memory():
    x = _values((40, 3), np.float64, 6)
    a = oa.asarray(x, chunks=10)
    u, s, vh = np.linalg.svd(a)  # NumPy's default full_matrices=True: fits, in memory
    assert u.shape == (40, 40)
    assert_like_numpy(s, np.linalg.svd(x).S)
    with oa.config.set(memory_limit="8KB"):
        with pytest.raises(TypeError, match="full_matrices=False"):
            np.linalg.svd(a)


# -- Cholesky --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, chunks", SQUARE)
def test_cholesky_matches_numpy(n, chunks, dtype):
    x = _spd(n, dtype, 7)
    with oa.config.set(memory_limit=_square_budget(n, dtype)):
        a = oa.asarray(x, chunks=chunks)
        lower = np.linalg.cholesky(a)
        if n >= 17:
            assert len(lower.node.blocks) >= 3
        assert_like_numpy(lower, np.linalg.cholesky(x), rtol=_loose(dtype))
        assert_like_numpy(np.linalg.cholesky(a, upper=True), np.linalg.cholesky(x, upper=True),
                          rtol=_loose(dtype))


def test_cholesky_reads_only_the_lower_triangle_like_numpy():
    x = _spd(24, np.float64, 8)
    x[np.triu_indices(24, 1)] = 99.0
    with oa.config.set(memory_limit=_square_budget(24, np.float64)):
        assert_like_numpy(np.linalg.cholesky(oa.asarray(x, chunks=5)), np.linalg.cholesky(x))


def test_cholesky_errors_are_numpys():
    with oa.config.set(memory_limit="20KB"):
        not_pd = np.linalg.cholesky(oa.asarray(-np.eye(30), chunks=10))
        with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
            not_pd.compute()
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        np.linalg.cholesky(oa.ones((3, 4)))
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        np.linalg.cholesky(oa.ones(3))
    stack = np.stack([_spd(3, np.float64, 9)] * 2)
    assert_like_numpy(np.linalg.cholesky(oa.asarray(stack)), np.linalg.cholesky(stack))


def test_tile_and_row_planners():
    assert cholesky_tile(10_000, 8, 80_000_000, chunk=500) == 500
    assert cholesky_tile(10_000, 8, 80_000_000) == 894
    assert cholesky_tile(10, 8, 10**9) == 10
    rows = tsqr_rows(1003, 10, 8, 100_000)
    assert sum(rows) == 1003 and min(rows) >= 10
    assert tsqr_rows(1000, 4, 8, 64_000, chunk=100) == (200,) * 5


# -- solve and lstsq -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rhs", [(), (3,)])
def test_solve_out_of_core_by_cholesky(dtype, rhs):
    n = 40
    x, b = _spd(n, dtype, 10), _values((n, *rhs), dtype, 11)
    with oa.config.set(memory_limit=_square_budget(n, dtype)):
        result = np.linalg.solve(oa.asarray(x, chunks=9), oa.asarray(b, chunks=9))
        node = result.node.inputs[0] if not rhs else result.node
        assert isinstance(node, ConcatRowsNode)
        assert_like_numpy(result, np.linalg.solve(x, b), rtol=_loose(dtype))


def test_solve_errors():
    with oa.config.set(memory_limit="30KB"):
        general = _values((40, 40), np.float64, 12)
        result = np.linalg.solve(oa.asarray(general, chunks=10), np.ones(40))
        with pytest.raises(np.linalg.LinAlgError, match="not Hermitian"):
            result.compute()
    small = _values((4, 4), np.float64, 13)  # fits: any nonsingular matrix, as NumPy
    assert_like_numpy(np.linalg.solve(oa.asarray(small), np.ones(4)),
                      np.linalg.solve(small, np.ones(4)))
    with pytest.raises(np.linalg.LinAlgError, match="Singular"):
        np.linalg.solve(oa.zeros((3, 3)), np.ones(3))
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.solve(oa.ones((3, 4)), np.ones(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rhs", [(), (3,)])
@pytest.mark.parametrize("deficient", [False, True])
def test_lstsq_matches_numpy(dtype, rhs, deficient):
    m, n = 90, 4
    x, b = _values((m, n), dtype, 14), _values((m, *rhs), dtype, 15)
    if deficient:
        x[:, 3] = x[:, 2]
    with oa.config.set(memory_limit=_tall_budget(m, n, dtype)):
        got = np.linalg.lstsq(oa.asarray(x, chunks=13), oa.asarray(b, chunks=13))
    want = np.linalg.lstsq(x, b)
    assert type(got[2]) is type(want[2]) and got[2] == want[2]
    with oa.config.set(memory_limit=_tall_budget(m, n, dtype)):
        for index in (0, 1, 3):
            assert_like_numpy(got[index], want[index], rtol=_loose(dtype))


# -- the rest of numpy.linalg ------------------------------------------------------------------
def test_other_linalg_functions_in_memory_when_they_fit():
    x = _spd(5, np.float64, 16)
    a = oa.asarray(x, chunks=2)
    assert_like_numpy(np.linalg.inv(a), np.linalg.inv(x))
    assert_like_numpy(np.linalg.det(a), np.linalg.det(x))
    sign, logdet = np.linalg.slogdet(a)
    assert_like_numpy(logdet, np.linalg.slogdet(x).logabsdet)
    assert_like_numpy(np.linalg.eigvalsh(a), np.linalg.eigvalsh(x))
    assert_like_numpy(np.linalg.multi_dot([a, a, x]), np.linalg.multi_dot([x, x, x]))
    with oa.config.set(memory_limit="4KB"):
        big = oa.ones((40, 40))
        for func in (np.linalg.inv, np.linalg.eigh, np.linalg.det):
            with pytest.raises(TypeError, match=f"numpy.linalg.{func.__name__} is not"):
                func(big)


def test_tsqr_q_is_made_per_row_block():
    with oa.config.set(memory_limit=_tall_budget(120, 4, np.float64)):
        q = np.linalg.qr(oa.asarray(_values((120, 4), np.float64, 17), chunks=10)).Q
    assert isinstance(q.node, TSQRApplyNode) and q.node.chunks[1] == (4,)


# -- intermediates that spill -----------------------------------------------------------------
@pytest.mark.parametrize("policy", ["belady", "lru"])
def test_cholesky_and_solve_spill_under_a_budget_a_third_of_the_matrix(policy, tmp_path):
    n = 120
    x, b = _spd(n, np.float64, 18), _values((n, 2), np.float64, 19)
    with oa.config.set(memory_limit="40KB", policy=policy), oa.collect_stats() as stats:
        a = oa.asarray(x, chunks=20)
        np.linalg.cholesky(a).to_npy(tmp_path / "l.npy")
        solved = np.linalg.solve(a, b).compute()
    assert stats.bytes_spilled > 0 and stats.peak_bytes <= 40_000
    np.testing.assert_allclose(np.load(tmp_path / "l.npy"), np.linalg.cholesky(x), atol=1e-12)
    np.testing.assert_allclose(solved, np.linalg.solve(x, b), atol=1e-12)


def test_tsqr_of_a_matrix_larger_than_the_budget(tmp_path):
    y = _values((4000, 6), np.float64, 20)  # 192 KB against 90 KB
    with oa.config.set(memory_limit="90KB"), oa.collect_stats() as stats:
        q = np.linalg.qr(oa.asarray(y, chunks=(100, 6))).Q
        assert len(q.node.blocks) >= 10
        q.to_npy(tmp_path / "q.npy")
    assert stats.peak_bytes <= 90_000
    np.testing.assert_allclose(np.load(tmp_path / "q.npy"), np.linalg.qr(y).Q, atol=1e-12)


# -- resident memory ----------------------------------------------------------------------------
TSQR_MEASURE = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import ooarray as oa
    from ooarray.diagnostics.memory import RSSSampler
    source, target = sys.argv[1], sys.argv[2]
    oa.config.set(memory_limit="32MB")
    a = oa.open(source)
    gc.collect()
    with RSSSampler(interval=0.005) as rss, oa.collect_stats() as stats:
        q, r = np.linalg.qr(a)
        q.to_npy(target)
        r = r.compute()
    print(json.dumps({"r": r.tolist(), "baseline": rss.baseline, "peak": rss.peak,
                      "pool_peak": stats.peak_bytes, "read": stats.bytes_read}))
""")


@pytest.mark.slow
def test_tsqr_over_4x_the_budget_keeps_rss_within_2x(tmp_path):
    rows, cols = 2**20, 16  # 128 MiB of float64 against a 32 MB budget
    values = np.random.default_rng(21).standard_normal((rows, cols))
    np.save(tmp_path / "a.npy", values)
    run = subprocess.run([sys.executable, "-c", TSQR_MEASURE, str(tmp_path / "a.npy"),
                          str(tmp_path / "q.npy")], capture_output=True, text=True, check=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    expected = np.linalg.qr(values)
    np.testing.assert_allclose(np.array(measured["r"]), expected.R, atol=1e-9)
    q = np.load(tmp_path / "q.npy", mmap_mode="r")
    np.testing.assert_allclose(q[:1000], expected.Q[:1000], atol=1e-12)
    growth = measured["peak"] - measured["baseline"]
    assert measured["pool_peak"] <= 32_000_000
    assert growth < 64_000_000, f"RSS grew by {growth / 2**20:.1f} MiB over a 32 MB budget"
