"""OOArray: a lazy, chunked array that NumPy code can use as it uses ndarrays.

An OOArray holds metadata only (shape, dtype, chunk grid) and the plan node that produces it.
Operators come from NumPy's ``NDArrayOperatorsMixin``; ufuncs arrive through
``__array_ufunc__`` and other NumPy functions through ``__array_function__`` and the registry
in :mod:`ooarray.core.dispatch`. Nothing is computed until a value is needed.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.lib.mixins import NDArrayOperatorsMixin

from ooarray import config as _config
from ooarray.algorithms.manipulation import ReshapeNode
from ooarray.algorithms.rechunk import RechunkNode, plan_rechunk  # noqa: F401 (RechunkNode moved)
from ooarray.chunks import Chunks, normalize_chunks, target_chunk_bytes
from ooarray.core import dispatch, eager
from ooarray.core.indexing import is_basic_index, normalize_basic_index
from ooarray.errors import BudgetError, format_bytes
from ooarray.plan.checkpoint import MAX_PENDING_DEPTH
from ooarray.plan.graph import ConstantNode, Node
from ooarray.plan.regions import CastNode, SliceNode, TransposeNode

__all__ = ["OOArray", "SUPPORTED_KINDS", "check_dtype", "operation_name"]

#: dtype kinds ooarray holds: bool, signed and unsigned integers, floats, complex.
SUPPORTED_KINDS = "biufc"
#: Arrays at most this large print their values; larger ones print their metadata.
PRINT_VALUES_BYTES = 2**20


def check_dtype(dtype: Any, what: str = "ooarray") -> np.dtype:
    """Return ``np.dtype(dtype)`` or raise TypeError for object, string, datetime, void dtypes."""
    dtype = np.dtype(dtype)
    if dtype.kind not in SUPPORTED_KINDS or dtype.fields is not None:
        raise TypeError(
            f"{what} supports bool, integer, float and complex dtypes; got {dtype} "
            f"(object, string, datetime and structured data cannot be processed out of core)"
        )
    return dtype


#: What computes arrays and writes them (:mod:`ooarray.io`, which joins the array, the plan,
#: the executors and the stores); it installs itself when ``ooarray`` is imported, so the
#: array layer imports none of them.
_ENGINE: Any = None


def install_engine(engine: Any) -> None:
    """Make ``engine`` (with ``compute``, ``to_zarr``, ``to_npy`` and ``settle``) what
    OOArrays compute with."""
    global _ENGINE
    _ENGINE = engine


def _engine() -> Any:
    if _ENGINE is None:
        raise RuntimeError("no compute engine: import ooarray (its io module installs it)")
    return _ENGINE


def _only_unit_axes_move(node: Node) -> bool:
    """Whether ``node`` holds its one input's values in the same order, only dropping,
    adding or moving axes of length 1 (a squeeze, an expand_dims, such a reshape or
    transpose)."""
    if isinstance(node, SliceNode):
        return node.label in ("squeeze", "expand_dims", "reshape")
    if isinstance(node, (ReshapeNode, TransposeNode)):
        source = node.inputs[0]
        if isinstance(node, TransposeNode):
            return [a for a in node.axes if source.shape[a] != 1] == \
                [a for a, n in enumerate(source.shape) if n != 1]
        return [n for n in node.shape if n != 1] == [n for n in source.shape if n != 1]
    return False


def operation_name(node: Node) -> str:
    """The operation that makes ``node``'s values, for displays: its label, looking through
    the views of a computed node that only drop, add or move axes of length 1 (a reduction
    without ``keepdims`` is ``sum``, not the ``squeeze`` of its kept axes; a median is
    ``median``, not the reshape of its lanes)."""
    while _only_unit_axes_move(node) and node.inputs[0].inputs:
        node = node.inputs[0]
    return node.label


class OOArray(NDArrayOperatorsMixin):
    """A lazy out-of-core array.

    Create one with :func:`ooarray.asarray`, :func:`ooarray.open` or a creation function;
    use it with NumPy functions and operators; get values with :meth:`compute`,
    ``np.asarray`` or :meth:`to_zarr`.

    Examples
    --------
    >>> import numpy as np, ooarray as oa
    >>> a = oa.asarray(np.arange(12.0).reshape(3, 4), chunks=2)
    >>> a
    OOArray<shape=(3, 4), dtype=float64, chunks=(2, 2), 4 chunks, 96 B, in-memory>
    >>> float(np.sqrt(a * a).sum())
    66.0
    """

    __array_priority__ = 20

    def __init__(self, node: Node) -> None:
        self._node = node
        if node.depth > MAX_PENDING_DEPTH:  # a long loop that never asks for a value
            _engine().settle(node)

    # -- metadata -------------------------------------------------------------------------
    @property
    def node(self) -> Node:
        """The plan node that produces this array."""
        return self._node

    @property
    def shape(self) -> tuple[int, ...]:
        return self._node.shape

    @property
    def dtype(self) -> np.dtype:
        return self._node.dtype

    @property
    def ndim(self) -> int:
        return len(self._node.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def chunks(self) -> Chunks:
        """Chunk lengths along each axis, e.g. ``((4, 4, 2), (3, 3))``."""
        return self._node.chunks

    @property
    def chunksize(self) -> tuple[int, ...]:
        """The largest chunk's shape."""
        return tuple(max(c) if c else 0 for c in self.chunks)

    @property
    def numblocks(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.chunks)

    @property
    def npartitions(self) -> int:
        return int(np.prod(self.numblocks, dtype=np.int64))

    @property
    def T(self) -> "OOArray":
        return self.transpose()

    @property
    def mT(self) -> "OOArray":
        if self.ndim < 2:
            raise ValueError("matrix transpose with ndim < 2 is undefined")
        axes = list(range(self.ndim))
        axes[-2], axes[-1] = axes[-1], axes[-2]
        return self.transpose(axes)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        chunks = self.chunksize
        return (f"OOArray<shape={self.shape}, dtype={self.dtype}, chunks={chunks}, "
                f"{self.npartitions} chunk{'s' if self.npartitions != 1 else ''}, "
                f"{format_bytes(self.nbytes)}, {operation_name(self._node)}>")

    def _repr_html_(self) -> str | None:
        """A table (shape, dtype, chunks, bytes, operation) and a picture of the chunk
        grid, for notebooks (:mod:`ooarray.diagnostics.array_html`)."""
        html = dispatch.ARRAY_METHODS.get("repr_html")
        return html(self) if html is not None else None

    def explain(self, *, optimized: bool | None = None) -> Any:
        """Return the plan a computation of the array would run, before it runs.

        Nothing is computed: the plan is lowered as ``compute()`` would lower it (or, for a
        result larger than ``memory_limit``, ``to_zarr``) and read.

        Parameters
        ----------
        optimized : bool, optional
            Show only the plan after fusion (True), only the one as built (False), or both
            (None, the default).

        Returns
        -------
        ooarray.diagnostics.explain.Explanation
            Prints as text (``print(a.explain())``) and shows as HTML tables in notebooks:
            every node's operation, shape, dtype, chunking, tasks and bytes read and
            written, the numexpr expressions, the projected peak memory against
            ``memory_limit`` and the bytes expected to be read under the policy.

        See Also
        --------
        ooarray.explain, visualize
        """
        return dispatch.ARRAY_METHODS["explain"](self, optimized=optimized)

    def visualize(self, filename: str | os.PathLike | None = None, format: str | None = None,
                  optimized: bool = True) -> Any:
        """Draw the array's plan: SVG (no Graphviz needed), Mermaid or DOT.

        Parameters
        ----------
        filename : str or path-like, optional
            Also write the drawing to this file (its suffix gives the format when
            ``format`` is not given: ``.svg``, ``.mmd``, ``.dot``/``.gv``).
        format : {"svg", "mermaid", "dot"}, optional
            ``"svg"`` by default.
        optimized : bool
            Draw the plan after fusion (numexpr expressions as one node each), or as built.

        Returns
        -------
        ooarray.diagnostics.visualize.Drawing
            The text (a ``str``); an SVG shows as a picture in notebooks.

        See Also
        --------
        ooarray.visualize, explain
        """
        return dispatch.ARRAY_METHODS["visualize"](self, filename=filename, format=format,
                                                   optimized=optimized)

    def __str__(self) -> str:
        if self.nbytes <= PRINT_VALUES_BYTES:
            try:
                return str(self.compute())
            except BudgetError:
                pass
        return repr(self)

    def __hash__(self) -> int:
        raise TypeError("unhashable type: 'OOArray'")

    # -- NumPy protocols ------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return dispatch.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return dispatch.array_function(func, types, args, kwargs)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False:
            raise ValueError("an OOArray cannot be viewed as an ndarray without a copy; "
                             "np.asarray computes it (pass copy=None or True)")
        values = self._small_values()
        if values is not None:  # the caller's own copy
            return np.array(values, dtype=dtype)
        result = self.compute()
        return result if dtype is None else result.astype(dtype, copy=False)

    def _fast_power(self, exponent: Any) -> np.ufunc | None:
        # ndarray.__pow__ swaps in these ufuncs for an exact Python int or float exponent,
        # which changes dtypes and values (bool ** 2 is int8; complex ** -1 of inf is 0).
        if type(exponent) is int and exponent == 2:
            return np.square
        if self.dtype.kind in "fc":
            if type(exponent) is int and exponent == -1:
                return np.reciprocal
            if type(exponent) is float and exponent == 0.5:
                return np.sqrt
        return None

    def __pow__(self, other: Any) -> Any:
        fast = self._fast_power(other)
        return fast(self) if fast is not None else np.power(self, other)

    def __ipow__(self, other: Any) -> Any:
        fast = self._fast_power(other)
        return fast(self, out=self) if fast is not None else np.power(self, other, out=self)

    # -- conversions that compute ---------------------------------------------------------
    def compute(self) -> np.ndarray:
        """Compute the array and return it as a NumPy array.

        Raises
        ------
        BudgetError
            If the result alone does not fit in ``memory_limit``; write it to a store with
            :meth:`to_zarr` instead.
        """
        return _engine().compute(self)

    def to_zarr(self, path: str | os.PathLike, *, chunks: Any = None, overwrite: bool = False,
                compressor: Any = "default", resume: bool = False) -> OOArray:
        """Compute the array into a Zarr v3 store at ``path`` and return it opened from there.

        See :func:`ooarray.io.to_zarr` for the parameters, what stops a write and what
        resumes one.
        """
        return _engine().to_zarr(self, path, chunks=chunks, overwrite=overwrite,
                                 compressor=compressor, resume=resume)

    def to_npy(self, path: str | os.PathLike, *, overwrite: bool = False,
               resume: bool = False) -> OOArray:
        """Compute the array into a ``.npy`` file at ``path`` and return it opened from there.

        See :func:`ooarray.io.to_npy` for the parameters.
        """
        return _engine().to_npy(self, path, overwrite=overwrite, resume=resume)

    def _scalar(self) -> np.ndarray:
        if self.ndim:
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        return self.reshape_flat_first()

    def reshape_flat_first(self) -> np.ndarray:
        """Compute the first element (the only one of a size-1 array) as a 0-d ndarray."""
        index = tuple(0 for _ in self.shape)
        return np.asarray(self[index].compute())

    def __bool__(self) -> bool:
        if self.size != 1:
            return bool(np.empty((2,)))  # raises NumPy's ValueError (ambiguous truth value)
        return bool(self.reshape_flat_first())

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.ndim:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._scalar())

    def item(self, *args: Any) -> Any:
        """Return one element as a Python scalar (computes only that element)."""
        if not args:
            if self.size != 1:
                raise ValueError("can only convert an array of size 1 to a Python scalar")
            return self.reshape_flat_first().item()
        if len(args) == 1:
            flat = int(args[0])
            if not -self.size <= flat < self.size:
                raise IndexError(f"index {flat} is out of bounds for size {self.size}")
            index = np.unravel_index(flat % self.size, self.shape)
        else:
            index = args
        return self[tuple(int(i) for i in index)].compute().item()

    def tolist(self) -> Any:
        """Return the values as nested Python lists (computes the array)."""
        return self.compute().tolist()

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")  # at iter(), as NumPy does
        return (self[i] for i in range(self.shape[0]))

    # -- structural operations ------------------------------------------------------------
    def __getitem__(self, index: Any) -> "OOArray":
        """``a[index]`` as NumPy: basic indexing is a lazy view; integer and boolean arrays
        (lists, ndarrays, OOArrays) go to :func:`ooarray.ops.indexing.getitem`."""
        node = self._node
        if type(node) is ConstantNode:
            limit = eager.eager_limit()
            if limit:
                done = eager.getitem(node.array, index, limit)
                if done is not eager.NOT_EAGER:
                    return done
        if isinstance(index, OOArray) or not is_basic_index(index):
            return dispatch.ARRAY_METHODS["getitem"](self, index)
        normalized = normalize_basic_index(index, self.shape)
        if all(isinstance(e, tuple) and e[1] == 1 and e[0] == 0 and e[2] == n
               for e, n in zip(normalized, self.shape)) and len(normalized) == self.ndim:
            return OOArray(self._node)  # a new array: assigning into it leaves self alone
        return OOArray(SliceNode(self._node, normalized))

    def __setitem__(self, index: Any, value: Any) -> None:
        """``a[index] = value``, lazily: ``a`` is rebound to the new values and arrays built
        from it before keep the old ones (see :func:`ooarray.ops.assignment.setitem`)."""
        node = self._node
        if type(node) is ConstantNode:
            values = node.array
            # Written in place only when nothing else can see the values: no other array or
            # plan holds this node (its references: self._node, ``node``, the call's
            # argument) and no view holds the buffer (node.array, ``values``, the argument).
            alone = values.base is None and sys.getrefcount(node) == 3 and \
                sys.getrefcount(values) == 3
            del values
            changed = eager.assigned(node.array, index, value, eager.eager_limit(), alone)
            if changed is not eager.NOT_EAGER:
                if changed is not node.array:
                    self._node = ConstantNode.whole(changed)
                return
        dispatch.ARRAY_METHODS["setitem"](self, index, value)

    def _small_values(self) -> np.ndarray | None:
        """The in-memory values, if operations on them run eagerly (:mod:`.eager`)."""
        node = self._node
        if type(node) is ConstantNode and node.array.nbytes <= eager.eager_limit():
            return node.array
        return None

    def transpose(self, *axes: Any) -> "OOArray":
        """Return the array with axes permuted (reversed by default), without copying."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        if len(axes) != self.ndim:
            raise ValueError("axes don't match array")
        axes = normalize_axis_tuple(axes, self.ndim)
        if axes == tuple(range(self.ndim)):
            return OOArray(self._node)
        node = self._node
        if type(node) is ConstantNode:  # in memory: a transposed view, on the same chunks
            return OOArray(ConstantNode(node.array.transpose(axes),
                                        tuple(node.chunks[a] for a in axes)))
        return OOArray(TransposeNode(node, axes))

    def astype(self, dtype: Any, order: str = "K", casting: str = "unsafe",
               subok: bool = True, copy: bool = True) -> "OOArray":
        """Return the array cast to ``dtype`` (lazily)."""
        dtype = check_dtype(dtype, "astype")
        if not np.can_cast(self.dtype, dtype, casting):
            raise TypeError(f"Cannot cast array data from {self.dtype!r} to {dtype!r} "
                            f"according to the rule {casting!r}")
        if dtype == self.dtype and not copy:
            return self
        values = self._small_values()
        if values is not None:
            return eager.wrap(values.astype(dtype))
        return OOArray(CastNode(self._node, dtype))

    def rechunk(self, chunks: Any) -> "OOArray":
        """Return the same values on another chunk grid (lazily), within the budget.

        Parameters
        ----------
        chunks : chunks argument
            As for :func:`ooarray.asarray`: an int, a tuple per axis (ints, -1, "auto",
            explicit lengths), "auto" or a dict ``{axis: chunk}``.

        Returns
        -------
        OOArray
            When reading the target chunks directly would pin too much of the array (rows to
            columns), the plan goes through an intermediate stage on the intersection of
            the two grids (see :mod:`ooarray.algorithms.rechunk`).

        Raises
        ------
        ValueError
            If ``chunks`` does not describe a grid of the array's shape.

        Examples
        --------
        >>> import numpy as np, ooarray as oa
        >>> a = oa.asarray(np.arange(12).reshape(3, 4), chunks=(1, 4))
        >>> b = a.rechunk((3, 1))
        >>> b.chunks, b.tolist() == a.tolist()
        (((3,), (1, 1, 1, 1)), True)
        """
        limit = _config.get().memory_limit
        grid = normalize_chunks(chunks, self.shape, self.itemsize, target_chunk_bytes(limit))
        if grid == self.chunks:
            return OOArray(self._node)
        return OOArray(plan_rechunk(self._node, grid, limit))

    def copy(self) -> "OOArray":
        """Return a copy: a new array on the same lazy values (nothing is copied, since an
        assignment to either rebinds only that one)."""
        return OOArray(self._node)

    def reshape(self, *shape: Any, order: str = "C", copy: bool | None = None) -> "OOArray":
        """Return the array with a new shape (lazily), as ``ndarray.reshape``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return np.reshape(self, shape, order=order, copy=copy)

    def ravel(self, order: str = "C") -> "OOArray":
        """Return the array flattened to one axis (lazily)."""
        return np.ravel(self, order=order)

    def flatten(self, order: str = "C") -> "OOArray":
        """Return the array flattened to one axis (lazily; OOArrays are never modified)."""
        return np.ravel(self, order=order)

    # -- NumPy methods (dispatch to the registered implementations) ------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        return np.sum(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        return np.prod(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kw):
        return np.mean(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
        return np.std(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kw)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw):
        return np.var(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kw)

    def min(self, axis=None, out=None, keepdims=False, **kw):
        return np.min(self, axis=axis, out=out, keepdims=keepdims, **kw)

    def max(self, axis=None, out=None, keepdims=False, **kw):
        return np.max(self, axis=axis, out=out, keepdims=keepdims, **kw)

    def argmin(self, axis=None, out=None, keepdims=False):
        return np.argmin(self, axis=axis, out=out, keepdims=keepdims)

    def argmax(self, axis=None, out=None, keepdims=False):
        return np.argmax(self, axis=axis, out=out, keepdims=keepdims)

    def any(self, axis=None, out=None, keepdims=False, **kw):
        return np.any(self, axis=axis, out=out, keepdims=keepdims, **kw)

    def all(self, axis=None, out=None, keepdims=False, **kw):
        return np.all(self, axis=axis, out=out, keepdims=keepdims, **kw)

    # Methods that are NumPy functions with the array first: derived, not written out. Each
    # dispatches through ``__array_function__`` to the implementation its family registers.
    for _name in ("clip", "round", "cumsum", "cumprod", "argsort", "searchsorted", "take",
                  "nonzero", "repeat", "squeeze", "swapaxes", "diagonal", "trace",
                  "dot", "ptp", "partition", "argpartition", "conj", "conjugate"):
        def _method(self, *args, _func=getattr(np, _name), **kwargs):
            return _func(self, *args, **kwargs)
        _method.__name__ = _name
        _method.__qualname__ = f"OOArray.{_name}"
        _method.__doc__ = f"As ``np.{_name}(a, ...)`` (lazily)."
        locals()[_name] = _method
    del _name, _method

    def compress(self, condition: Any, axis: int | None = None, out: Any = None) -> "OOArray":
        """As ``np.compress(condition, a, axis)`` (the condition comes first there)."""
        return np.compress(condition, self, axis=axis, out=out)

    def sort(self, axis: int = -1, kind: Any = None, order: Any = None, *,
             stable: bool | None = None) -> None:
        """Sort in place, as ``ndarray.sort``: the array is rebound to its sorted values;
        other arrays that hold the old values keep them."""
        self._node = np.sort(self, axis=axis, kind=kind, order=order, stable=stable)._node

    @property
    def real(self) -> "OOArray":
        return np.real(self) if self.dtype.kind == "c" else self

    @property
    def imag(self) -> "OOArray":
        return np.imag(self) if self.dtype.kind == "c" else np.zeros_like(self)

    # -- Array API standard ---------------------------------------------------------------
    def __array_namespace__(self, *, api_version: str | None = None) -> Any:
        """Return :mod:`ooarray.array_api`, the Array API standard namespace."""
        array_api = dispatch.namespace()
        if api_version is not None and api_version not in getattr(array_api, "SUPPORTED_VERSIONS",
                                                                  (api_version,)):
            raise ValueError(f"ooarray.array_api does not support API version {api_version!r}")
        return array_api

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None, dl_device: Any = None,
                   copy: bool | None = None) -> Any:
        """Export the values through DLPack: the array is computed first (BudgetError if it
        does not fit ``memory_limit``) into a buffer of the consumer's own, which nothing else
        shares (so ``copy=False`` is honoured: no further copy is made, and writes through it
        cannot reach the OOArray)."""
        kwargs = {} if max_version is None else {"max_version": max_version}
        return self.compute().__dlpack__(stream=stream, dl_device=dl_device, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        """DLPack's CPU device (``kDLCPU``, 0)."""
        return (1, 0)

    @property
    def device(self) -> str:
        """Always ``"cpu"``: OOArrays live on the local disk and in host memory."""
        return "cpu"

    def to_device(self, device: Any, /, *, stream: Any = None) -> "OOArray":
        """Return the array itself for ``"cpu"``; other devices raise ValueError."""
        if device != "cpu":
            raise ValueError(f"ooarray arrays live on 'cpu'; got device {device!r}")
        return self


dispatch.use_array_type(OOArray)
eager.use_array_type(OOArray)
