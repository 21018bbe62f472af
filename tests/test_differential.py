"""Randomized differential test: random programs of supported NumPy operations, run with NumPy
and with ooarray, every step compared.

Hypothesis draws the starting arrays (0-d to 3-d, size-0 and size-1 axes, odd sides up to 40),
their chunkings (one chunk, length-1 chunks, ragged and explicit uneven chunks), dtypes, a
``memory_limit`` from a few KiB to generous, the executor ("threads" or "sync"), whether small
work runs eagerly, and a program of 1-8 steps drawn from :data:`OPS` (elementwise ufuncs with
broadcasting and every kind of scalar operand, reductions, cumsum, indexing, assignment and
in-place operators, manipulation, sort/argsort/unique, matmul/dot/einsum, astype). Each step
runs on NumPy arrays and on OOArrays holding the same values:

* NumPy raises -> ooarray raises an instance of NumPy's exception type (when building the lazy
  result or when computing it). Under a tight budget a ``BudgetError`` is also accepted.
* NumPy succeeds -> the OOArray computes to NumPy's dtype, shape and values (exact for bool
  and integers, so overflow must wrap as NumPy's does; a tolerance for floats, NaN positions
  exact), or, only when ``memory_limit`` is tight, raises ``ooarray.BudgetError``.
* No step may fall back to NumPy in memory (``InMemoryFallbackWarning``): every operation in
  the table is documented as out of core.

A step's result joins the program's arrays, lazily, so later steps build plans on plans. When
a float result differs from NumPy's only by rounding, the OOArray is replaced by a fresh one
holding NumPy's values, so rounding never grows into a different branch (``x > 0``, ``floor``).

Profiles (registered in conftest.py): ``differential`` (the default: 100 derandomized examples
per test, for CI) and ``long`` (``OOARRAY_HYPOTHESIS_PROFILE=long``: 5000 random examples).
Failures print the program (hypothesis ``note``) so they can be replayed by hand.

Bugs found are pinned as strict xfail regression tests at the end of this file.
"""

from __future__ import annotations

import operator
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
from helpers import assert_like_numpy, chunkings, tolerance
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

import ooarray as oa
from ooarray.errors import BudgetError
from ooarray.interop.fallback import InMemoryFallbackWarning

PROFILE = os.environ.get("OOARRAY_HYPOTHESIS_PROFILE", "differential")
try:
    SETTINGS = settings.get_profile(PROFILE)
except Exception:  # noqa: BLE001 -- an unknown name: say which ones exist
    raise pytest.UsageError(f"OOARRAY_HYPOTHESIS_PROFILE={PROFILE!r}: use 'differential' or "
                            "'long'") from None

DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint16,
                                np.float32, np.float64, np.complex64, np.complex128)]
#: A budget at or below this is "tight": a BudgetError is an acceptable answer.
TIGHT = 256 * 1024
BUDGETS = [2 * 1024, 6 * 1024, 16 * 1024, 64 * 1024, 256 * 1024, 64 * 1024 * 1024]
MAX_SIZE = 2400  # elements of a starting array


# -- values ----------------------------------------------------------------------------------
def make_values(shape: tuple[int, ...], dtype: np.dtype, rng: np.random.Generator,
                style: str) -> np.ndarray:
    """Values of ``dtype``: small, or with extremes (integer limits, NaN, inf, -0.0)."""
    size = int(np.prod(shape, dtype=np.int64))
    if dtype.kind == "b":
        return rng.integers(0, 2, size).astype(bool).reshape(shape)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = rng.integers(max(info.min, -6), min(info.max, 6), size, endpoint=True)
        values = values.astype(dtype)
        if style == "extreme" and size:
            specials = np.array([info.min, info.max, info.max - 1, info.min + 1], dtype=dtype)
            where = rng.random(size) < 0.3
            values[where] = rng.choice(specials, int(where.sum()))
        return values.reshape(shape)
    real = rng.uniform(-8, 8, size)
    if style == "round":
        real = np.round(real * 2) / 2  # exact halves: ties for sort/unique/argmin, exact sums
    if dtype.kind == "c":
        imag = rng.uniform(-8, 8, size)
        if style == "round":
            imag = np.round(imag)
        real = real + 1j * imag
    values = real.astype(dtype)
    if style == "extreme" and size:
        specials = np.array([np.nan, np.inf, -np.inf, -0.0, 1e30, 0.0], dtype=dtype)
        where = rng.random(size) < 0.25
        values[where] = rng.choice(specials, int(where.sum()))
        if dtype.kind == "c":
            where = rng.random(size) < 0.1
            values.imag[where] = rng.choice(specials.real, int(where.sum()))
    return values.reshape(shape)


@st.composite
def shapes(draw, min_dims: int = 0, max_dims: int = 3) -> tuple[int, ...]:
    ndim = draw(st.integers(min_dims, max_dims))
    side = st.one_of(st.sampled_from([0, 1, 1, 2]), st.integers(2, 9), st.integers(10, 40))
    shape = [draw(side) for _ in range(ndim)]
    while int(np.prod(shape, dtype=np.int64)) > MAX_SIZE:
        axis = int(np.argmax(shape))
        shape[axis] = max(1, shape[axis] // 3) | 1  # keep it odd
    return tuple(shape)


# -- the program's state ---------------------------------------------------------------------
@dataclass
class Ctx:
    """What a step may draw from."""
    draw: Callable[..., Any]
    rng: np.random.Generator
    arrays: list  # of (ndarray, OOArray)
    log: list = field(default_factory=list)

    def chunks(self, shape):
        return self.draw(chunkings(shape))

    def fresh(self, shape, dtype=None):
        """A new NumPy array for an operand: the OOArray side gets an OOArray of it, or the
        ndarray itself (mixing)."""
        dtype = np.dtype(dtype) if dtype is not None else self.draw(st.sampled_from(DTYPES))
        style = self.draw(st.sampled_from(["small", "round", "extreme"]))
        values = make_values(shape, dtype, self.rng, style)
        kind = self.draw(st.sampled_from(["ooarray", "ooarray", "ndarray"]))
        chunks = self.chunks(shape) if kind == "ooarray" else None
        return Operand(values, kind, chunks, f"{kind}{shape}:{dtype}")


@dataclass
class Operand:
    """An operand that is not one of the program's arrays."""
    values: Any
    kind: str  # "ooarray", "ndarray", "py" (a Python or NumPy scalar, the same on both sides)
    chunks: Any = None
    label: str = ""

    def side(self, ooarray: bool):
        if isinstance(self.values, np.ndarray):
            if ooarray and self.kind == "ooarray":
                return oa.asarray(self.values.copy(), chunks=self.chunks)
            return self.values.copy()
        return self.values

    def __repr__(self):
        return self.label or repr(self.values)


@dataclass
class Ref:
    """One of the program's arrays, by index."""
    index: int

    def __repr__(self):
        return f"v{self.index}"


def resolve(arg, arrays, ooarray: bool):
    if isinstance(arg, Ref):
        return arrays[arg.index][1 if ooarray else 0]
    if isinstance(arg, Operand):
        return arg.side(ooarray)
    if isinstance(arg, (list, tuple)) and not isinstance(arg, Idx):
        return type(arg)(resolve(a, arrays, ooarray) for a in arg)
    if isinstance(arg, Idx):
        return Idx(resolve(a, arrays, ooarray) for a in arg)
    if isinstance(arg, dict):
        return {k: resolve(v, arrays, ooarray) for k, v in arg.items()}
    return arg


class Idx(tuple):
    """An index tuple (kept apart from argument lists)."""


def scalar_operand(ctx: Ctx, like: np.dtype | None = None) -> Operand:
    """A Python scalar, a NumPy scalar or a 0-d array (ndarray or OOArray), mixed dtypes."""
    kind = ctx.draw(st.sampled_from(["pyint", "pyfloat", "pycomplex", "pybool", "pybigint",
                                     "npscalar", "0d"]))
    if kind == "pyint":
        return Operand(ctx.draw(st.integers(-4, 5)), "py")
    if kind == "pybigint":  # out of range for small ints: OverflowError in NumPy 2
        return Operand(ctx.draw(st.sampled_from([200, 300, -129, 70000, 2**31, -1, 2**63 - 1])),
                       "py")
    if kind == "pyfloat":
        return Operand(ctx.draw(st.sampled_from([0.5, -2.0, 3.0, 0.0, float("nan"), 1e300])),
                       "py")
    if kind == "pycomplex":
        return Operand(ctx.draw(st.sampled_from([1j, 2 - 0.5j])), "py")
    if kind == "pybool":
        return Operand(ctx.draw(st.booleans()), "py")
    dtype = ctx.draw(st.sampled_from(DTYPES))
    value = make_values((), dtype, ctx.rng, ctx.draw(st.sampled_from(["small", "extreme"])))
    if kind == "npscalar":
        return Operand(value[()], "py", label=f"np.{dtype}({value[()]!r})")
    return Operand(value, ctx.draw(st.sampled_from(["ooarray", "ndarray"])), (),
                   f"0d {dtype} {value[()]!r}")


def broadcastable_shape(ctx: Ctx, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts against ``shape`` (now and then one that does not)."""
    if ctx.draw(st.integers(0, 19)) == 0:
        return ctx.draw(shapes(1, 2))  # most likely incompatible: NumPy's ValueError
    drop = ctx.draw(st.integers(0, len(shape)))
    result = [n if not ctx.draw(st.integers(0, 2)) == 0 else 1 for n in shape[drop:]]
    extra = ctx.draw(st.integers(0, 1)) if len(shape) < 3 else 0
    return (1,) * extra + tuple(result)


def other_operand(ctx: Ctx, shape) -> Any:
    """A second operand: a program array, a fresh broadcastable array, or a scalar."""
    kind = ctx.draw(st.sampled_from(["state", "fresh", "fresh", "scalar", "scalar"]))
    if kind == "state":
        return Ref(ctx.draw(st.integers(0, len(ctx.arrays) - 1)))
    if kind == "fresh":
        return ctx.fresh(broadcastable_shape(ctx, shape))
    return scalar_operand(ctx)


def axis_arg(ctx: Ctx, ndim: int, *, allow_none=True, allow_tuple=True, allow_bad=True):
    choices = ["int"]
    if allow_none:
        choices.append("none")
    if allow_tuple and ndim >= 2:
        choices.append("tuple")
    if allow_bad:
        choices.append("bad")
    kind = ctx.draw(st.sampled_from(choices))
    if kind == "none" or (kind == "int" and ndim == 0):
        return None
    if kind == "bad":
        return ndim + ctx.draw(st.integers(0, 1))  # AxisError
    if kind == "int":
        return ctx.draw(st.integers(-ndim, ndim - 1))
    axes = ctx.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(axes)


# -- the operations --------------------------------------------------------------------------
UNARY = ["negative", "absolute", "sqrt", "exp", "log", "sin", "cos", "tanh", "floor", "ceil",
         "rint", "trunc", "sign", "isnan", "isinf", "isfinite", "logical_not", "invert",
         "square", "reciprocal", "positive", "conjugate", "signbit", "log1p", "expm1",
         "arctan", "cbrt", "exp2", "bitwise_count"]
BINARY = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "power",
          "maximum", "minimum", "fmax", "fmin", "equal", "not_equal", "less", "greater_equal",
          "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
          "bitwise_xor", "left_shift", "right_shift", "arctan2", "hypot", "copysign",
          "heaviside", "fmod", "logaddexp", "gcd"]
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
             "&": operator.and_, "|": operator.or_, "^": operator.xor, "<": operator.lt,
             "==": operator.eq, ">=": operator.ge, "<<": operator.lshift}
INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
           "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
           "**=": operator.ipow, "&=": operator.iand, "|=": operator.ior}
REDUCTIONS = ["sum", "prod", "min", "max", "mean", "std", "var", "argmin", "argmax", "any",
              "all", "cumsum", "nansum", "nanmax", "nanmean", "cumprod"]


@dataclass
class Step:
    """One drawn step: ``func(*args)`` on both sides. ``kind`` sets the float tolerance."""
    text: str
    func: Callable[..., Any]
    args: tuple
    kind: str = "elementwise"  # or "sum", "var", "prod", "matmul"
    mutates: bool = False  # func changes args[0] (assignment): it gets a copy


def op_unary(ctx, i, x):
    name = ctx.draw(st.sampled_from(UNARY))
    ufunc = getattr(np, name)
    return Step(f"np.{name}(v{i})", ufunc, (Ref(i),))


def op_binary(ctx, i, x):
    other = other_operand(ctx, x.shape)
    swap = ctx.draw(st.booleans())
    args = (other, Ref(i)) if swap else (Ref(i), other)
    if ctx.draw(st.booleans()):
        name = ctx.draw(st.sampled_from(BINARY))
        return Step(f"np.{name}{args}", getattr(np, name), args)
    symbol = ctx.draw(st.sampled_from(sorted(OPERATORS)))
    return Step(f"{args[0]!r} {symbol} {args[1]!r}", OPERATORS[symbol], args)


def op_inplace(ctx, i, x):
    other = other_operand(ctx, x.shape)
    symbol = ctx.draw(st.sampled_from(sorted(INPLACE)))
    return Step(f"v{i} {symbol} {other!r}", INPLACE[symbol], (Ref(i), other), mutates=True)


def op_reduce(ctx, i, x):
    name = ctx.draw(st.sampled_from(REDUCTIONS))
    kwargs: dict[str, Any] = {}
    if name.startswith("cum") or name.startswith("arg"):
        kwargs["axis"] = axis_arg(ctx, x.ndim, allow_tuple=False)
        if name.startswith("arg") and ctx.draw(st.booleans()):
            kwargs["keepdims"] = True
    else:
        kwargs["axis"] = axis_arg(ctx, x.ndim)
        if ctx.draw(st.booleans()):
            kwargs["keepdims"] = ctx.draw(st.booleans())
        if name in ("std", "var") and ctx.draw(st.booleans()):
            kwargs["ddof"] = ctx.draw(st.integers(0, 2))
        if name in ("sum", "prod", "mean") and ctx.draw(st.integers(0, 3)) == 0:
            kwargs["dtype"] = ctx.draw(st.sampled_from(["int8", "int64", "float32", "uint16"]))
    method = ctx.draw(st.booleans()) and not name.startswith("nan")
    kind = {"std": "var", "var": "var", "prod": "prod", "cumprod": "prod"}.get(name, "sum")
    if name in ("min", "max", "argmin", "argmax", "any", "all", "nanmax"):
        kind = "exact-ish"
    if method:
        return Step(f"v{i}.{name}(**{kwargs})",
                    lambda a, kw, _n=name: getattr(a, _n)(**kw), (Ref(i), kwargs), kind)
    return Step(f"np.{name}(v{i}, **{kwargs})",
                lambda a, kw, _n=name: getattr(np, _n)(a, **kw), (Ref(i), kwargs), kind)


def basic_index(ctx, shape, *, allow_ints=True) -> Idx:
    items: list[Any] = []
    for n in shape:
        kind = ctx.draw(st.sampled_from(["all", "slice", "slice", "int"] if allow_ints and n
                                        else ["all", "slice", "slice"]))
        if kind == "all":
            items.append(slice(None))
        elif kind == "int":
            items.append(ctx.draw(st.integers(-n, n - 1)))
        else:
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
            step = ctx.draw(st.sampled_from([None, 1, 2, 3, -1, -2, 7]))
            items.append(slice(ctx.draw(bound), ctx.draw(bound), step))
    extra = ctx.draw(st.sampled_from(["", "", "ellipsis", "newaxis", "drop"]))
    if extra == "ellipsis" and items:
        cut = ctx.draw(st.integers(0, len(items)))
        items = items[:cut] + [Ellipsis] + items[cut + 1:]
    elif extra == "newaxis":
        items.insert(ctx.draw(st.integers(0, len(items))), None)
    elif extra == "drop" and items:
        items = items[:ctx.draw(st.integers(0, len(items)))]
    return Idx(items)


def fancy_index(ctx, shape) -> Any:
    """An integer array on one axis, or a boolean mask (whole shape or one axis)."""
    kind = ctx.draw(st.sampled_from(["ints", "mask", "mask_axis", "compare"]))
    if not shape:
        kind = "compare"
    if kind == "ints":
        axis = ctx.draw(st.integers(0, len(shape) - 1))
        n = shape[axis]
        count = ctx.draw(st.integers(0, 6))
        high = n + 1 if ctx.draw(st.integers(0, 9)) == 0 else n - 1  # now and then IndexError
        low = -n if n else -1
        ints = np.array([ctx.draw(st.integers(low, max(low, high))) for _ in range(count)],
                        dtype=np.intp)
        if n == 0 and count and ctx.draw(st.booleans()):
            ints = ints[:0]
        return Idx([slice(None)] * axis + [ints])
    if kind == "mask":
        return Idx([ctx.rng.random(shape) < 0.5])
    if kind == "mask_axis":
        axis = ctx.draw(st.integers(0, len(shape) - 1))
        return Idx([slice(None)] * axis + [ctx.rng.random(shape[axis]) < 0.5])
    return "compare"


def op_getitem(ctx, i, x):
    if ctx.draw(st.booleans()):
        index = basic_index(ctx, x.shape)
    else:
        index = fancy_index(ctx, x.shape)
    if index == "compare":  # x[x > t]: the mask is computed from the array itself
        t = ctx.draw(st.sampled_from([0, 1, 2]))
        return Step(f"v{i}[v{i}.real > {t}]", lambda a: a[a.real > t], (Ref(i),))
    return Step(f"v{i}[{index!r}]", lambda a, idx: a[tuple(idx)], (Ref(i), index))


def _setitem(a, idx, value):
    a[tuple(idx)] = value
    return a


def assigned_value(ctx, x, target_shape) -> Any:
    """A value to assign into ``x``: a scalar or an array that broadcasts to the target.
    Floats into an integer array are finite and in range (casting NaN to int is undefined)."""
    kind = ctx.draw(st.sampled_from(["scalar", "array", "array"]))
    if kind == "scalar":
        op = scalar_operand(ctx)
    else:
        shape = broadcastable_shape(ctx, target_shape) if target_shape is not None else ()
        op = ctx.fresh(shape)
    values = np.asarray(op.values)
    if x.dtype.kind in "biu" and values.dtype.kind in "fc":
        if not np.all(np.isfinite(values)):
            assume(False)
        info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
        if info is not None and values.size and (np.abs(values).max() > info.max // 2):
            assume(False)
    return op


def op_setitem(ctx, i, x):
    kind = ctx.draw(st.sampled_from(["basic", "fancy"]))
    if kind == "basic":
        index = basic_index(ctx, x.shape)
        try:
            target = np.empty(x.shape, dtype=np.int8)[tuple(index)].shape
        except Exception:  # noqa: BLE001
            target = None
    else:
        index = fancy_index(ctx, x.shape)
        if index == "compare":
            value = assigned_value(ctx, x, ())
            return Step(f"v{i}[v{i}.real > 0] = {value!r}",
                        lambda a, v: _setitem(a, Idx([a.real > 0]), v), (Ref(i), value),
                        mutates=True)
        try:
            target = np.empty(x.shape, dtype=np.int8)[tuple(index)].shape
        except Exception:  # noqa: BLE001
            target = None
    value = assigned_value(ctx, x, target)
    return Step(f"v{i}[{index!r}] = {value!r}", _setitem, (Ref(i), index, value), mutates=True)


def random_reshape(ctx, shape) -> tuple:
    size = int(np.prod(shape, dtype=np.int64))
    factors, n, p = [], size, 2
    while n > 1 and p * p <= n:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    if n > 1:
        factors.append(n)
    ndim = ctx.draw(st.integers(0 if size == 1 else 1, 3))
    if ndim == 0:
        return ()
    dims = [1] * ndim
    for f in factors:
        dims[ctx.draw(st.integers(0, ndim - 1))] *= f
    if size == 0:
        dims[ctx.draw(st.integers(0, ndim - 1))] = 0
    if ctx.draw(st.integers(0, 3)) == 0 and size:
        dims[ctx.draw(st.integers(0, ndim - 1))] = -1
    if ctx.draw(st.integers(0, 15)) == 0:
        dims[0] += 1  # a wrong size: ValueError
    return tuple(dims)


def op_manip(ctx, i, x):
    nd = x.ndim
    name = ctx.draw(st.sampled_from(["reshape", "transpose", "swapaxes", "concatenate", "stack",
                                     "where", "clip", "flip", "roll", "pad", "ravel", "T",
                                     "squeeze", "expand_dims", "moveaxis", "repeat", "tile"]))
    r = Ref(i)
    if name == "reshape":
        shape = random_reshape(ctx, x.shape)
        order = ctx.draw(st.sampled_from(["C", "C", "F"]))
        return Step(f"np.reshape(v{i}, {shape}, order={order!r})",
                    lambda a, s: np.reshape(a, s, order=order), (r, shape))
    if name == "transpose":
        axes = tuple(ctx.draw(st.permutations(range(nd)))) if ctx.draw(st.booleans()) else None
        return Step(f"np.transpose(v{i}, {axes})", lambda a, ax: np.transpose(a, ax), (r, axes))
    if name == "swapaxes":
        a1, a2 = (axis_arg(ctx, max(nd, 1), allow_none=False, allow_tuple=False)
                  for _ in range(2))
        return Step(f"v{i}.swapaxes({a1}, {a2})", lambda a: a.swapaxes(a1, a2), (r,))
    if name in ("concatenate", "stack"):
        other = Ref(ctx.draw(st.integers(0, len(ctx.arrays) - 1)))
        if ctx.draw(st.booleans()):
            shape = list(x.shape)
            if name == "concatenate" and shape:
                shape[ctx.draw(st.integers(0, nd - 1))] = ctx.draw(st.integers(0, 5))
            other = ctx.fresh(tuple(shape))
        axis = axis_arg(ctx, nd + (name == "stack"), allow_tuple=False)
        if name == "concatenate" and nd == 0 and axis is not None:
            axis = 0
        func = getattr(np, name)
        return Step(f"np.{name}([v{i}, {other!r}, v{i}], axis={axis})",
                    lambda a, b: func([a, b, a], axis=axis), (r, other))
    if name == "where":
        cond = ctx.fresh(broadcastable_shape(ctx, x.shape), np.bool_)
        other = other_operand(ctx, x.shape)
        args = (cond, r, other) if ctx.draw(st.booleans()) else (cond, other, r)
        return Step(f"np.where{args}", np.where, args)
    if name == "clip":
        lo, hi = (ctx.draw(st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([0.5])))
                  for _ in range(2))
        if lo is None and hi is None:
            hi = 2
        return Step(f"np.clip(v{i}, {lo}, {hi})", lambda a: np.clip(a, lo, hi), (r,))
    if name == "flip":
        axis = axis_arg(ctx, nd)
        return Step(f"np.flip(v{i}, {axis})", lambda a: np.flip(a, axis), (r,))
    if name == "roll":
        axis = axis_arg(ctx, nd, allow_tuple=False)
        shift = ctx.draw(st.integers(-50, 50))
        return Step(f"np.roll(v{i}, {shift}, {axis})", lambda a: np.roll(a, shift, axis), (r,))
    if name == "pad":
        width = tuple((ctx.draw(st.integers(0, 3)), ctx.draw(st.integers(0, 3)))
                      for _ in range(nd))
        mode = ctx.draw(st.sampled_from(["constant", "edge", "reflect", "wrap", "symmetric"]))
        return Step(f"np.pad(v{i}, {width}, {mode!r})",
                    lambda a: np.pad(a, width, mode=mode), (r,))
    if name == "ravel":
        return Step(f"np.ravel(v{i})", np.ravel, (r,))
    if name == "T":
        return Step(f"v{i}.T", lambda a: a.T, (r,))
    if name == "squeeze":
        return Step(f"np.squeeze(v{i})", np.squeeze, (r,))
    if name == "expand_dims":
        axis = ctx.draw(st.integers(-nd - 1, nd))
        return Step(f"np.expand_dims(v{i}, {axis})", lambda a: np.expand_dims(a, axis), (r,))
    if name == "moveaxis":
        if nd == 0:
            return Step(f"np.ravel(v{i})", np.ravel, (r,))
        src, dst = ctx.draw(st.integers(-nd, nd - 1)), ctx.draw(st.integers(-nd, nd - 1))
        return Step(f"np.moveaxis(v{i}, {src}, {dst})", lambda a: np.moveaxis(a, src, dst),
                    (r,))
    if name == "repeat":
        axis = axis_arg(ctx, nd, allow_tuple=False, allow_bad=False)
        reps = ctx.draw(st.integers(0, 3))
        return Step(f"np.repeat(v{i}, {reps}, axis={axis})",
                    lambda a: np.repeat(a, reps, axis=axis), (r,))
    reps = tuple(ctx.draw(st.integers(1, 3)) for _ in range(ctx.draw(st.integers(1, 3))))
    return Step(f"np.tile(v{i}, {reps})", lambda a: np.tile(a, reps), (r,))


def op_sort(ctx, i, x):
    name = ctx.draw(st.sampled_from(["sort", "argsort", "unique", "unique_counts", "method"]))
    if name in ("sort", "argsort"):
        axis = axis_arg(ctx, x.ndim, allow_tuple=False)
        if x.ndim == 0 and axis is None and name == "sort":
            axis = None
        func = getattr(np, name)
        return Step(f"np.{name}(v{i}, axis={axis}, kind='stable')",
                    lambda a: func(a, axis=axis, kind="stable"), (Ref(i),))
    if name == "unique":
        return Step(f"np.unique(v{i})", np.unique, (Ref(i),))
    if name == "unique_counts":
        return Step(f"np.unique(v{i}, return_counts=True)",
                    lambda a: np.unique(a, return_counts=True), (Ref(i),))

    def sort_method(a):
        b = a.copy()
        b.sort(axis=-1)
        return b
    return Step(f"v{i}.copy().sort(axis=-1)", sort_method, (Ref(i),))


def op_linalg(ctx, i, x):
    name = ctx.draw(st.sampled_from(["matmul", "dot", "einsum", "einsum2"]))
    if name in ("matmul", "dot"):
        kind = ctx.draw(st.sampled_from(["T", "fresh", "fresh1d"]))
        if kind == "T" or x.ndim == 0:
            other = "T"
        else:
            k = x.shape[-1]
            if ctx.draw(st.integers(0, 9)) == 0:
                k += 1  # mismatched: ValueError
            shape = (k,) if kind == "fresh1d" else (k, ctx.draw(st.integers(0, 7)))
            other = ctx.fresh(shape)
        swap = ctx.draw(st.booleans()) and other != "T"
        func = np.matmul if name == "matmul" else np.dot
        if other == "T":
            return Step(f"np.{name}(v{i}, v{i}.T)", lambda a: func(a, a.T), (Ref(i),), "matmul")
        if swap:
            return Step(f"np.{name}({other!r}.T, v{i}.T)", lambda a, b: func(b.T, a.T),
                        (Ref(i), other), "matmul")
        return Step(f"np.{name}(v{i}, {other!r})", func, (Ref(i), other), "matmul")
    subscripts = {0: ["->"], 1: ["i->", "i,i->", "i,i->i"],
                  2: ["ij->ji", "ij->", "ij->j", "ij,ij->ij", "ij,kj->ik", "ii->i", "ij,ij->i"],
                  3: ["ijk->kji", "ijk,ijk->", "ijk,ikl->ijl", "ijk->j"]}.get(
                      x.ndim, ["...i->i..."])
    if x.ndim == 2 and x.shape[0] != x.shape[1]:
        # NumPy broadcasts a length-1 axis against a repeated index, and for shape (0, 1)
        # returns one uninitialised element: not a reference to compare with
        subscripts = [sub for sub in subscripts if sub != "ii->i"]
    sub = ctx.draw(st.sampled_from(subscripts))
    if "," in sub:
        return Step(f"np.einsum({sub!r}, v{i}, v{i})", lambda a: np.einsum(sub, a, a),
                    (Ref(i),), "matmul")
    return Step(f"np.einsum({sub!r}, v{i})", lambda a: np.einsum(sub, a), (Ref(i),), "matmul")


def op_astype(ctx, i, x):
    dtype = ctx.draw(st.sampled_from(DTYPES))
    if dtype.kind in "iu" and x.dtype.kind in "fc":
        values = x.real if x.dtype.kind == "c" else x
        info = np.iinfo(dtype)
        if values.size and not (np.all(np.isfinite(values))
                                and values.max() < info.max and values.min() > info.min):
            assume(False)  # out of range or NaN to an integer: undefined in C
    return Step(f"v{i}.astype({str(dtype)!r})", lambda a: a.astype(dtype), (Ref(i),))


#: The families of steps; each test run favours one (half its steps), the rest are any.
FAMILIES = {"unary": [op_unary], "binary": [op_binary], "inplace": [op_inplace],
            "reduce": [op_reduce], "getitem": [op_getitem], "setitem": [op_setitem],
            "manipulate": [op_manip], "sort": [op_sort], "linalg": [op_linalg],
            "astype": [op_astype]}
OPS = [op for ops in FAMILIES.values() for op in ops]


# -- running and comparing -------------------------------------------------------------------
class StepFailed(AssertionError):
    pass


def run_numpy(step: Step, arrays):
    args = resolve(step.args, arrays, ooarray=False)
    if step.mutates:
        args = (args[0].copy(),) + tuple(args[1:])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = step.func(*args)
        # NumPy may hand back a view of an operand: own the values.
        if isinstance(result, tuple):
            return tuple(np.array(r, copy=True) if isinstance(r, np.ndarray) else r
                         for r in result)
        return np.array(result, copy=True) if isinstance(result, np.ndarray) else result


def run_ooarray(step: Step, arrays, eager: bool):
    """Build the lazy result and compute it. Returns (result, values) or raises."""
    args = resolve(step.args, arrays, ooarray=True)
    if step.mutates:
        args = (args[0].copy(),) + tuple(args[1:])
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        result = step.func(*args)
        parts = result if isinstance(result, tuple) else (result,)
        values = []
        for part in parts:
            if isinstance(part, oa.OOArray):
                values.append(part.compute())
            elif eager:
                values.append(part)
            else:
                raise StepFailed(f"expected an OOArray, got {type(part).__name__}")
    fallbacks = [w for w in caught if issubclass(w.category, InMemoryFallbackWarning)]
    if fallbacks:
        raise StepFailed(f"fell back to NumPy in memory: {fallbacks[0].message}")
    return result, values


def float_tolerance(step: Step, arrays, expected: np.ndarray) -> tuple[float, Any]:
    """(rtol, atol) for a float result. Elementwise: the dtype's tolerance, relative. Sums,
    cumulative sums, contractions and variances round differently with another order of the
    additions (ooarray's is by chunk), so they get an absolute tolerance per output element:
    the same operation on the absolute values of the inputs (for var/std, the mean square of
    the lane) times the dtype's tolerance. A wrong ddof, a lane summed twice or a missing
    chunk is far outside it."""
    rtol = tolerance(expected.dtype)
    finite = np.abs(expected[np.isfinite(expected)]) if expected.size else np.zeros(0)
    top = float(finite.max()) if finite.size else 0.0
    if step.kind == "prod":
        return max(rtol * 16, 1e-4), rtol * top
    if step.kind not in ("sum", "matmul", "var"):
        return rtol, rtol * top
    args = resolve(step.args, arrays, ooarray=False)
    absolute = []
    for a in args:
        if isinstance(a, np.ndarray) and a.dtype.kind in "biufc":
            a = np.nan_to_num(np.abs(a.astype(np.complex128 if a.dtype.kind == "c"
                                              else np.float64)), nan=0.0)
        elif isinstance(a, dict):
            a = {k: v for k, v in a.items() if k != "dtype"}
        absolute.append(a)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if step.kind == "var":
            kw = absolute[1]
            scale = np.mean(absolute[0] ** 2, axis=kw.get("axis"),
                            keepdims=kw.get("keepdims", False))
            atol = 8 * rtol * scale
            if ".std(" in step.text or "np.std(" in step.text:
                atol = np.sqrt(atol)
        else:
            atol = 8 * rtol * np.asarray(step.func(*absolute), dtype=np.float64)
    atol = np.broadcast_to(np.nan_to_num(np.asarray(atol, dtype=np.float64), nan=np.inf),
                           expected.shape)
    return rtol, atol + rtol * top * 1e-3


def compare(value, expected, step: Step, arrays) -> bool:
    """Assert ``value`` (computed) is NumPy's ``expected``; return whether bit-identical."""
    expected_arr = np.asarray(expected)
    got = np.asarray(value)
    assert got.dtype == expected_arr.dtype, f"dtype {got.dtype} != NumPy's {expected_arr.dtype}"
    assert got.shape == expected_arr.shape, f"shape {got.shape} != NumPy's {expected_arr.shape}"
    if expected_arr.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, expected_arr, strict=True)
        return True
    if np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(expected_arr).tobytes():
        return True  # bit-identical (array_equal(equal_nan=True) calls inf+nanj == nan+nanj)
    if expected_arr.dtype == np.float16 and step.kind != "elementwise":
        # NumPy accumulates float16 sums and variances in float16 (inf where the squares
        # overflow 65504); ooarray accumulates in float32: not compared (see the report)
        return False
    rtol, atol = float_tolerance(step, arrays, expected_arr)
    atol = np.broadcast_to(atol, expected_arr.shape)
    if step.kind in ("prod", "matmul") and expected_arr.dtype.kind == "c" \
            and not np.all(np.isfinite(expected_arr)):
        # known bugs (test_bug_complex_prod_overflow_nan_parts,
        # test_bug_complex_contraction_with_inf): compare only where NumPy's result is finite
        keep = np.isfinite(expected_arr)
        got, expected_arr, atol = got[keep], expected_arr[keep], atol[keep]
    parts = [(got.real, expected_arr.real), (got.imag, expected_arr.imag)] \
        if expected_arr.dtype.kind == "c" else [(got, expected_arr)]
    for g, w in parts:
        # NaN and inf positions must match exactly.
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w), "NaN positions differ")
        inf_w = np.isinf(w)
        np.testing.assert_array_equal(g[inf_w], w[inf_w], "infinities differ")
        finite = np.isfinite(w)
        with np.errstate(all="ignore"):
            error = np.abs(g.astype(np.float64) - w.astype(np.float64))
            bad = finite & ~(error <= atol + rtol * np.abs(w.astype(np.float64)))
        if bad.any():
            where = tuple(np.argwhere(bad)[0])
            raise AssertionError(
                f"{int(bad.sum())} of {bad.size} values differ beyond the tolerance; first at "
                f"{where}: ooarray {g[where]!r}, NumPy {w[where]!r}, atol {atol[where]:.3g}, "
                f"rtol {rtol:.3g}")
    return False


def known_bug(step: Step, arrays, eager: bool, budget: int) -> str | None:
    """The name of the xfail regression test of a known, open ooarray bug this step would hit,
    so the random test keeps looking for new ones. Remove an entry when its bug is fixed (its
    strict xfail test then fails and says so)."""
    if step.text.startswith(("np.signbit", "np.copysign")):
        operands = [np.asarray(a) for a in resolve(step.args, arrays, ooarray=False)
                    if isinstance(a, (np.ndarray, np.generic, float, complex))]
        if any(a.dtype.kind in "fc" and np.isnan(a).any() for a in operands):
            return "test_bug_nan_sign_of_fused_log_differs"
    return None


def known_error_mismatch(step: Step, np_error, oo_error) -> str | None:
    """The xfail test of a known, open bug in which ooarray raises where NumPy does not, or
    another error than NumPy's (``np_error`` or ``oo_error`` None: that side succeeded)."""
    return None


def same_error(oo_error: BaseException, np_error: BaseException, tight: bool) -> bool:
    if tight and isinstance(oo_error, BudgetError):
        return True
    return isinstance(oo_error, type(np_error))


def run_program(data, family: str, eager_allowed: bool = True):
    draw = data.draw
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    budget = draw(st.sampled_from(BUDGETS), label="memory_limit")
    executor = draw(st.sampled_from(["threads", "sync"]), label="executor")
    eager = eager_allowed and draw(st.integers(0, 5)) == 0
    tight = budget <= TIGHT
    ctx = Ctx(draw, rng, [])
    for k in range(draw(st.integers(1, 2))):
        dtype = draw(st.sampled_from(DTYPES))
        shape = draw(shapes())
        values = make_values(shape, dtype, rng, draw(st.sampled_from(["small", "round",
                                                                      "extreme"])))
        chunks = ctx.chunks(shape)
        note(f"v{k} = oa.asarray({values.dtype} {shape} array, chunks={chunks})  "
             f"# values: {values.tolist()!r:.2000}")
        ctx.arrays.append((values, oa.asarray(values.copy(), chunks=chunks)))
    note(f"memory_limit={budget}, executor={executor!r}, eager={eager}")
    with oa.config.set(memory_limit=budget, executor=executor,
                       eager_bytes="1MiB" if eager else 0):
        for _ in range(draw(st.integers(1, 8), label="length")):
            index = draw(st.integers(0, len(ctx.arrays) - 1))
            x = ctx.arrays[index][0]
            ops = FAMILIES[family] if draw(st.booleans()) else OPS
            op = draw(st.sampled_from(ops))
            step = op(ctx, index, x)
            name = f"v{len(ctx.arrays)}"  # a tuple result is v{n}, v{n+1}, ...
            note(f"{name} = {step.text}")
            known = known_bug(step, ctx.arrays, eager, budget)
            if known:
                note(f"  (skipped: known bug, {known})")
                continue
            try:
                expected = run_numpy(step, ctx.arrays)
                np_error = None
            except Exception as error:  # noqa: BLE001
                expected, np_error = None, error
            try:
                result, values = run_ooarray(step, ctx.arrays, eager)
                oo_error = None
            except StepFailed:
                raise
            except Exception as error:  # noqa: BLE001
                result, values, oo_error = None, None, error
            outcome = ("numpy raised" if np_error is not None else
                       "budget" if isinstance(oo_error, BudgetError) else "compared")
            event(f"{op.__name__}: {outcome}")
            if np_error is not None:
                known = known_error_mismatch(step, np_error, oo_error)
                if known:
                    note(f"  (known bug, {known})")
                    continue
                if oo_error is None:
                    raise StepFailed(f"{name}: NumPy raised {type(np_error).__name__}: "
                                     f"{np_error}; ooarray did not")
                if not same_error(oo_error, np_error, tight):
                    raise StepFailed(f"{name}: NumPy raised {type(np_error).__name__}: "
                                     f"{np_error}; ooarray raised "
                                     f"{type(oo_error).__name__}: {oo_error}") from oo_error
                continue
            if oo_error is not None:
                if tight and isinstance(oo_error, BudgetError):
                    continue
                known = known_error_mismatch(step, None, oo_error)
                if known:
                    note(f"  (known bug, {known})")
                    continue
                raise StepFailed(f"{name}: NumPy succeeded; ooarray raised "
                                 f"{type(oo_error).__name__}: {oo_error}") from oo_error
            expected_parts = expected if isinstance(expected, tuple) else (expected,)
            result_parts = result if isinstance(result, tuple) else (result,)
            assert len(expected_parts) == len(result_parts)
            for exp, res, val in zip(expected_parts, result_parts, values):
                if eager and not isinstance(res, oa.OOArray):
                    assert type(res) is type(exp), \
                        f"{name}: eager gave {type(res).__name__}, NumPy {type(exp).__name__}"
                try:
                    exact = compare(val, exp, step, ctx.arrays)
                except AssertionError as error:
                    raise StepFailed(f"{name} = {step.text}: {error}") from None
                exp_arr = np.array(exp, copy=True)
                if not isinstance(res, oa.OOArray) or not exact:
                    # resynchronise: rounding must not grow into different branches
                    res = oa.asarray(exp_arr.copy(), chunks=ctx.chunks(exp_arr.shape))
                ctx.arrays.append((exp_arr, res))
        note(f"arrays at the end: {[(a.dtype, a.shape) for a, _ in ctx.arrays]}")


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(SETTINGS)
@given(data=st.data())
def test_random_programs_match_numpy(family, data):
    run_program(data, family)


@settings(SETTINGS)
@given(data=st.data())
def test_promotion_and_scalars_match_numpy(data):
    """One binary ufunc or operator over arrays, NumPy scalars, 0-d arrays and Python scalars
    of every dtype: NumPy 2's promotion (weak Python scalars, OverflowError for out-of-range
    Python ints) and integer wraparound, exactly."""
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(shapes(0, 2))
    values = make_values(shape, dtype, rng, draw(st.sampled_from(["small", "extreme"])))
    chunks = draw(chunkings(shape))
    ctx = Ctx(draw, rng, [(values, oa.asarray(values.copy(), chunks=chunks))])
    note(f"v0 = oa.asarray({values!r}, chunks={chunks})")
    other = scalar_operand(ctx) if draw(st.integers(0, 2)) else ctx.fresh(
        broadcastable_shape(ctx, shape))
    swap = draw(st.booleans())
    args = (other, Ref(0)) if swap else (Ref(0), other)
    if draw(st.booleans()):
        name = draw(st.sampled_from(BINARY))
        step = Step(f"np.{name}{args}", getattr(np, name), args)
    elif draw(st.booleans()):
        symbol = draw(st.sampled_from(sorted(INPLACE)))
        step = Step(f"v0 {symbol} {other!r}", INPLACE[symbol], (Ref(0), other), mutates=True)
    else:
        symbol = draw(st.sampled_from(sorted(OPERATORS)))
        step = Step(f"{args[0]!r} {symbol} {args[1]!r}", OPERATORS[symbol], args)
    note(step.text)
    if known_bug(step, ctx.arrays, False, 0):
        return
    try:
        expected, np_error = run_numpy(step, ctx.arrays), None
    except Exception as error:  # noqa: BLE001
        expected, np_error = None, error
    with oa.config.set(executor=draw(st.sampled_from(["threads", "sync"]))):
        try:
            result, values_ = run_ooarray(step, ctx.arrays, eager=False)
        except StepFailed:
            raise
        except Exception as error:  # noqa: BLE001
            assert np_error is not None, f"NumPy succeeded; ooarray raised {error!r}"
            if known_error_mismatch(step, np_error, error):
                return
            assert isinstance(error, type(np_error)), \
                f"NumPy raised {np_error!r}; ooarray raised {error!r}"
            return
    assert np_error is None, f"NumPy raised {np_error!r}; ooarray gave {result!r}"
    compare(values_[0], expected, step, ctx.arrays)


# -- regression tests of the bugs this test found ---------------------------------------------
# Open bugs are strict xfails: when one is fixed it fails ("XPASS(strict)"); then delete its
# xfail mark (rename it test_fixed_*) and its entry in known_bug() / known_error_mismatch().
EAGER = "1MiB"


def test_fixed_eager_inplace_with_ooarray_operand_0d():
    """Found by this test (fixed in dc52d41): on the eager path `a += b` with b a 0-d OOArray
    raised ValueError 'non-broadcastable output operand with shape ()'."""
    with oa.config.set(eager_bytes=EAGER):
        a = oa.asarray(np.array([1, 2]))
        a += oa.asarray(np.array(1))
        np.testing.assert_array_equal(np.asarray(a), [2, 3])


def test_fixed_eager_inplace_with_ooarray_operand_casting():
    """Found by this test (fixed in dc52d41): on the eager path `a += b` with a int64 and b a
    float64 OOArray rebound a to float64 instead of raising NumPy's UFuncTypeError."""
    with oa.config.set(eager_bytes=EAGER):
        a = oa.asarray(np.array([1, 2]))
        with pytest.raises(np.exceptions.UFuncTypeError if hasattr(np.exceptions,
                                                                   "UFuncTypeError")
                           else TypeError):
            a += oa.asarray(np.array([0.5, 0.5]))


def test_inplace_with_ooarray_operand_planned_is_right():
    """The planned engine gets both right (the eager path alone is wrong)."""
    a = oa.asarray(np.array([1, 2]))
    a += oa.asarray(np.array(1))
    np.testing.assert_array_equal(a.compute(), [2, 3])
    a = oa.asarray(np.array([1, 2]))
    with pytest.raises(TypeError):
        a += oa.asarray(np.array([0.5, 0.5]))


@pytest.mark.parametrize("func", [np.sum, np.min, np.argmin, np.argsort],
                         ids=lambda f: f.__name__)
def test_fixed_reduction_of_0d_with_axis_0(func):
    """Found by this test (fixed in e17ed5f): sum, min, argmin, argsort of a 0-d array with
    axis=0 raised AxisError; NumPy accepts axis 0 (and -1) for 0-d input."""
    x = np.array(3, dtype=np.int8)
    expected = func(x, axis=0)
    assert_like_numpy(func(oa.asarray(x), axis=0), expected)


def test_fixed_error_precedence_no_loop_before_broadcast():
    """Found by this test (fixed in 5b96a3d): ones(2) & ones(3) raised ValueError, NumPy TypeError."""
    with pytest.raises(TypeError):
        oa.asarray(np.ones(2)) & oa.asarray(np.ones(3))


def test_fixed_error_precedence_inplace_cast_before_broadcast():
    """Found by this test (fixed in 5b96a3d): int8 `a += np.ones(3)` (a of shape (2,)) raised
    ValueError; NumPy raises UFuncTypeError."""
    a = oa.asarray(np.ones(2, np.int8))
    with pytest.raises(TypeError):
        a += np.ones(3)


@pytest.mark.parametrize("subscripts, shapes_", [
    ("i,i->i", [(0,), (0,)]),
    ("ij,ij->ij", [(0, 3), (0, 3)]),
    ("ijk,ikl->ijl", [(0, 0, 1), (0, 0, 1)]),
    ("matmul", [(0, 2, 2), (2,)]),
    ("matmul", [(0, 1, 0), (0,)]),
], ids=["i,i->i", "ij,ij->ij", "ijk,ikl->ijl", "matmul-(0,2,2)@(2,)",
        "matmul-(0,1,0)@(0,)"])
def test_fixed_contraction_of_empty_operands(subscripts, shapes_):
    """Found by this test (fixed in d971e15): contractions over size-0 operands raised
    ValueError 'cannot reshape array of size 0 into shape (1,1)'."""
    operands = [np.zeros(s) for s in shapes_]
    if subscripts == "matmul":
        expected = np.matmul(*operands)
        result = np.matmul(*[oa.asarray(o) for o in operands])
    else:
        expected = np.einsum(subscripts, *operands)
        result = np.einsum(subscripts, *[oa.asarray(o) for o in operands])
    assert_like_numpy(result, expected)


@pytest.mark.parametrize("memory_limit, values", [
    (512, np.arange(8.0)[::-1]),
    (2048, np.arange(10.0)[::-1] * (1 + 1j)),
], ids=["float64-8-512B", "complex128-10-2KiB"])
def test_fixed_argsort_under_tiny_budget(memory_limit, values):
    """Found by this test (fixed in 66a17b3): with memory_limit=512,
    np.argsort(oa.asarray(np.arange(8.0)[::-1])) computed [4 4 4 4 0 0 0 0] (a sample sort
    with one bucket numbered every element of a block 0); complex128 of 10 at 2 KiB too."""
    with oa.config.set(memory_limit=memory_limit):
        result = np.argsort(oa.asarray(values), kind="stable")
        assert_like_numpy(result, np.argsort(values, kind="stable"))


def test_fixed_empty_mask_assignment_rejects_2d_value():
    """Found by this test (fixed in c997f3d): a[np.zeros(0, bool)] = np.ones((1, 1)) on shape (0,)
    was accepted on the planned path; NumPy raises TypeError."""
    a = oa.asarray(np.zeros(0))
    with pytest.raises(TypeError):
        a[np.zeros(0, bool)] = np.ones((1, 1))
        a.compute()


def test_fixed_pad_of_empty_array():
    """Found by this test (fixed in edb9872): np.pad(zeros((0, 0)), ((0, 0), (0, 1))) had shape
    (0, 0); NumPy's is (0, 1)."""
    x = np.zeros((0, 0), dtype=bool)
    assert_like_numpy(np.pad(oa.asarray(x), ((0, 0), (0, 1))), np.pad(x, ((0, 0), (0, 1))))


@pytest.mark.parametrize("dtype, value, error", [
    (np.int8, np.array([7]), ValueError),
    (np.complex128, np.ones(1), TypeError),
    (np.complex128, np.zeros(0), TypeError),
], ids=["int8-(1,)", "complex-(1,)", "complex-(0,)"])
def test_fixed_setitem_scalar_slot_rejects_arrays(dtype, value, error):
    """Found by this test (fixed meanwhile): on the planned path `a[1] = np.array([7])` was
    accepted (NumPy 2: ValueError), and a complex target answered ValueError for TypeError."""
    a = oa.asarray(np.zeros(3, dtype))
    with pytest.raises(error):
        a[1] = value
        a.compute()


@pytest.mark.parametrize("func, values", [
    (lambda a: np.dot(a, a), [1e30 + 0j]),
    (lambda a: np.einsum("i,i->", a, a), [np.inf + 0j, 1 + 1j]),
], ids=["dot-overflow", "einsum-inf"])
def test_fixed_complex_contraction_overflow_nan_parts(func, values):
    """Found by this test (fixed in 622617d): np.dot of complex64 [1e30] with itself gave
    inf+nanj (NumPy inf+0j); np.einsum('i,i->') of [inf, 1+1j] gave nan+nanj."""
    x = np.array(values, np.complex64)
    with np.errstate(all="ignore"):
        expected = func(x)
        result = func(oa.asarray(x))
        assert_like_numpy(result, expected)


def test_fixed_complex_prod_overflow_nan_parts():
    """Found by this test (fixed): np.prod of complex64 [[1e30], [1e30]] along axis 0 in one
    chunk gave inf+nanj (NumPy inf+0j)."""
    x = np.array([[1e30 + 0j], [1e30 + 0j]], np.complex64)
    with np.errstate(all="ignore"):
        assert_like_numpy(np.prod(oa.asarray(x), axis=0), np.prod(x, axis=0))


@pytest.mark.parametrize("subscripts, shape", [
    ("...i->i...", (2, 3)),
    ("...i->i...", (1, 2, 3, 4)),
    ("...i->i...", (0, 0, 0, 0)),
], ids=["2d", "4d", "4d-empty"])
def test_fixed_einsum_ellipsis_output_drops_axes(subscripts, shape):
    """Found by this test (fixed): np.einsum('...i->i...') dropped the ellipsis axes: on shape
    (2, 3) it gave shape (3,) (NumPy (3, 2)); on (1, 2, 3, 4) shape (4, 2, 3)."""
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    assert_like_numpy(np.einsum(subscripts, oa.asarray(x)), np.einsum(subscripts, x))


@pytest.mark.xfail(strict=True, reason=(
    "NaN sign differs from NumPy's: np.signbit(np.log(a)) for a = [-3.0] (float64) or int32 "
    "negatives is False with ooarray (the fused numexpr log makes +NaN) and True with NumPy "
    "(-NaN); visible through signbit and copysign"))
def test_bug_nan_sign_of_fused_log_differs():
    x = np.array([-3.0, 2.0])
    with np.errstate(all="ignore"):
        assert_like_numpy(np.signbit(np.log(oa.asarray(x))), np.signbit(np.log(x)))



def test_fixed_unique_complex_nan_representative():
    """Found by this test (fixed): np.unique of complex [1+2j, 3.7+nanj, 0, 2.4+nanj, nan+1j,
    5] gave [0, 1+2j, 5, 2.4+nanj] on the planned path; NumPy [0, 1+2j, 5, 3.7+nanj]."""
    x = np.array([1 + 2j, complex(3.7, np.nan), 0j, complex(2.4, np.nan), complex(np.nan, 1),
                  5 + 0j], np.complex64)
    assert_like_numpy(np.unique(oa.asarray(x)), np.unique(x))


@pytest.mark.xfail(strict=True, reason=(
    "complex contractions with an infinite element give NaN where NumPy gives infinities: "
    "np.einsum('ij,kj->ik', v, v) for v = [[2.19, -3.68+6.6j], [-7.34+1.7j, -inf]] (complex64) "
    "gives nan+nanj at [0, 1], [1, 0], [1, 1]; NumPy inf-infj, inf-infj, inf+nanj"))
def test_bug_complex_contraction_with_inf():
    v = np.array([[2.19 + 0j, -3.68 + 6.6j], [-7.34 + 1.7j, -np.inf + 0j]], np.complex64)
    with np.errstate(all="ignore"):
        result = np.einsum("ij,kj->ik", oa.asarray(v), oa.asarray(v))
        assert_like_numpy(result, np.einsum("ij,kj->ik", v, v))


def test_fixed_mask_assign_numpy_int_scalar_out_of_range():
    """Found by this test (fixed): a[a > 0] = np.int32(2147483647) on an int8 array raised
    OverflowError; NumPy casts it (wraps to -1) for a mask."""
    x = np.array([5, 1], np.int8)
    a = oa.asarray(x.copy())
    a[a > 0] = np.int32(2147483647)
    x[x > 0] = np.int32(2147483647)
    assert_like_numpy(a, x)
