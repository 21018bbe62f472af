"""NumPy's metadata functions answered from shapes and dtypes, never computing: common_type,
einsum_path; and np.astype."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import DTYPES, assert_like_numpy

import ooarray as oa
from ooarray.core.array import OOArray


def _never_computed(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("a metadata function computed an OOArray")
    monkeypatch.setattr(OOArray, "compute", refuse)


@pytest.mark.parametrize("dtypes", [(np.float32,), (np.float32, np.float64),
                                    (np.int8, np.float32), (np.complex64, np.float64),
                                    (np.int64,), (np.float16, np.float16)], ids=str)
def test_common_type_from_dtypes(dtypes, monkeypatch):
    arrays = [np.ones((2, 3), d) for d in dtypes]
    wrapped = [oa.asarray(a) for a in arrays]
    _never_computed(monkeypatch)
    assert np.common_type(*wrapped) is np.common_type(*arrays)
    with pytest.raises(TypeError):
        np.common_type(oa.asarray(np.array(["a"])))  # NumPy: non-numeric types


@pytest.mark.parametrize("subscripts, shapes", [("ij,jk->ik", [(3, 4), (4, 5)]),
                                                ("ij,jk,kl->il", [(30, 4), (4, 50), (50, 2)]),
                                                ("ii->i", [(4, 4)]), ("i,i", [(7,), (7,)])])
@pytest.mark.parametrize("optimize", ["greedy", "optimal", True])
def test_einsum_path_from_shapes(subscripts, shapes, optimize, monkeypatch):
    arrays = [np.ones(s) for s in shapes]
    wrapped = [oa.asarray(a) for a in arrays]
    _never_computed(monkeypatch)
    got = np.einsum_path(subscripts, *wrapped, optimize=optimize)
    assert got == np.einsum_path(subscripts, *arrays, optimize=optimize)
    with pytest.raises(ValueError):
        np.einsum_path("ij,jk->ik", *[oa.asarray(np.ones(s)) for s in [(3, 4), (5, 5)]])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_astype_function(dtype):
    x = (np.arange(12.0).reshape(3, 4) - 5.5) * 3
    a = oa.asarray(x, chunks=2)
    assert_like_numpy(np.astype(a, dtype), np.astype(x, dtype))
    assert_like_numpy(np.astype(a, dtype, copy=False), np.astype(x, dtype, copy=False))
    with pytest.raises(ValueError, match="Device"):
        np.astype(a, dtype, device="gpu")
