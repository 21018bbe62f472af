"""Fusion: maximal elementwise subtrees become one numexpr expression per output chunk.

No temporary per operator and one pass over memory. A node joins an expression only if
numexpr computes it in exactly NumPy's dtype: constants are passed as 0-d variables of the
dtype NumPy's ufunc loop would cast them to (numexpr would otherwise treat ``2.0`` as double
and promote float32 chains), and each sub-expression's numexpr type is checked once against
NumPy's result dtype. Anything else (integer arithmetic, ufuncs numexpr lacks, ``dtype=``
arguments) stays a NumPy call in the same task.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

import numexpr
import numpy as np

from ooarray.chunks import Region, region_shape
from ooarray.plan.graph import EvaluationContext, Node
from ooarray.plan.regions import ElementwiseNode, broadcast_region

__all__ = ["FusedExpression", "Fusion", "NUMEXPR_UFUNCS"]

_INFIX = {
    np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/", np.power: "**",
    np.less: "<", np.less_equal: "<=", np.greater: ">", np.greater_equal: ">=",
    np.equal: "==", np.not_equal: "!=",
}
_BOOLEAN_INFIX = {np.logical_and: "&", np.logical_or: "|", np.bitwise_and: "&",
                  np.bitwise_or: "|"}
_PREFIX = {np.negative: "-"}
#: Written as an expression of their operand (``a**2`` reaches us as np.square).
_EXPANDED = {np.square: "({0} * {0})"}
_BOOLEAN_PREFIX = {np.logical_not: "~", np.invert: "~"}
_FUNCTIONS = {
    np.sqrt: "sqrt", np.sin: "sin", np.cos: "cos", np.tan: "tan", np.arcsin: "arcsin",
    np.arccos: "arccos", np.arctan: "arctan", np.sinh: "sinh", np.cosh: "cosh",
    np.tanh: "tanh", np.arcsinh: "arcsinh", np.arccosh: "arccosh", np.arctanh: "arctanh",
    np.log: "log", np.log10: "log10", np.log1p: "log1p", np.log2: "log2", np.exp: "exp",
    np.expm1: "expm1", np.absolute: "abs", np.conjugate: "conj", np.floor: "floor",
    np.ceil: "ceil", np.trunc: "trunc", np.arctan2: "arctan2", np.hypot: "hypot",
    np.copysign: "copysign", np.fmod: "fmod", np.isnan: "isnan", np.isinf: "isinf",
    np.isfinite: "isfinite", np.signbit: "signbit",
}
#: The only ufuncs whose numexpr complex versions match NumPy's: numexpr's complex multiply,
#: divide, power and transcendental functions ignore C99 Annex G (infinities and NaNs come out
#: differently) and some put branch cuts on the other side (arcsinh(-2.5j), arctan(3j)).
_COMPLEX_SAFE = frozenset({np.add, np.subtract, np.negative, np.conjugate, np.equal,
                           np.not_equal, np.isnan, np.isinf, np.isfinite, np.absolute})
#: Every ufunc that can join a numexpr expression.
NUMEXPR_UFUNCS = frozenset(_INFIX) | frozenset(_BOOLEAN_INFIX) | frozenset(_PREFIX) | \
    frozenset(_BOOLEAN_PREFIX) | frozenset(_FUNCTIONS) | frozenset(_EXPANDED)
#: dtypes numexpr reads.
_OPERAND_DTYPES = frozenset(np.dtype(t) for t in (np.bool_, np.int32, np.int64, np.float32,
                                                   np.float64, np.complex128))
#: Result dtypes we let numexpr produce (integer arithmetic differs from NumPy's).
_RESULT_DTYPES = frozenset(np.dtype(t) for t in (np.bool_, np.float32, np.float64,
                                                  np.complex128))


#: Inputs (arrays and constants) of one numexpr expression: numexpr passes them, with the
#: output, through one NumPy iterator, which takes at most 64 operands (32 before NumPy 2).
MAX_INPUTS = 31
#: Operators of one expression: each may take a register of numexpr's 255.
MAX_OPERATORS = 96
_NAME = re.compile(r"\b[vk]\d+\b")


def _canonical(expression: str, leaves: dict[str, Node], constants: dict[str, np.ndarray]
               ) -> tuple[str, dict[str, Node], dict[str, np.ndarray]]:
    """Rename leaves ``a0, a1, ...`` and constants ``k0, k1, ...`` in order of appearance, so
    the same tree over other nodes is the same text (numexpr caches compiled expressions by
    text: a loop body compiles once, not once per iteration)."""
    names: dict[str, str] = {}
    for match in _NAME.finditer(expression):
        old = match.group()
        if old not in names:
            names[old] = f"{'a' if old in leaves else 'k'}{len(names)}"
    renamed = _NAME.sub(lambda m: names[m.group()], expression)
    return (renamed, {names[k]: v for k, v in leaves.items()},
            {names[k]: v for k, v in constants.items()})


@functools.lru_cache(maxsize=4096)
def _numexpr_dtype(expression: str, signature: tuple[tuple[str, str, int], ...]) -> np.dtype | None:
    local = {name: np.ones((1,) * ndim, dtype) for name, dtype, ndim in signature}
    try:
        return numexpr.evaluate(expression, local_dict=local).dtype
    except Exception:  # numexpr lacks this op for these types: not fusable
        return None


def _render(func: np.ufunc, parts: list[str]) -> str:
    if func in _INFIX:
        return f"({parts[0]} {_INFIX[func]} {parts[1]})"
    if func in _BOOLEAN_INFIX:
        return f"({parts[0]} {_BOOLEAN_INFIX[func]} {parts[1]})"
    if func in _PREFIX:
        return f"({_PREFIX[func]}{parts[0]})"
    if func in _BOOLEAN_PREFIX:
        return f"({_BOOLEAN_PREFIX[func]}{parts[0]})"
    if func in _EXPANDED:
        return _EXPANDED[func].format(*parts)
    return f"{_FUNCTIONS[func]}({', '.join(parts)})"


def _candidate(node: Node) -> bool:
    if not isinstance(node, ElementwiseNode) or node.kwargs or len(node.dtypes) != 1:
        return False
    if node.func not in NUMEXPR_UFUNCS or node.dtype not in _RESULT_DTYPES:
        return False
    if (node.func in _BOOLEAN_INFIX or node.func in _BOOLEAN_PREFIX) and node.dtype != np.bool_:
        return False
    return all(op.dtype in _OPERAND_DTYPES for op in node.inputs)


def _is_square_root(node: ElementwiseNode, loop_in: tuple[np.dtype, ...]) -> bool:
    """Whether ``node`` is np.power of a float operand by a scalar exponent 0.5."""
    if node.func is not np.power or isinstance(node.operands[1], Node):
        return False
    base = node.operands[0]
    return (isinstance(base, Node) and base.dtype.kind in "fi" and node.dtype.kind == "f"
            and loop_in[0] == loop_in[1] == node.dtype and np.ndim(node.operands[1]) == 0
            and np.asarray(node.operands[1], dtype=loop_in[1]) == 0.5)


class FusedExpression:
    """One numexpr expression standing for a tree of elementwise nodes."""

    def __init__(self, root: ElementwiseNode, expression: str, leaves: dict[str, Node],
                 constants: dict[str, np.ndarray]) -> None:
        self.root, self.expression = root, expression
        self.names = list(leaves)
        self.leaves = list(leaves.values())
        self.constants = constants
        self.dtype = root.dtype

    def leaf_regions(self, region: Region) -> list[tuple[Node, Region]]:
        """Return the region of every leaf that ``region`` of the root needs."""
        return [(leaf, broadcast_region(region, self.root.shape, leaf.shape))
                for leaf in self.leaves]

    def compute(self, arrays: list[np.ndarray], region: Region,
                ctx: EvaluationContext) -> np.ndarray:
        out = ctx.allocate(region_shape(region), self.dtype)
        if out.size:
            local = dict(zip(self.names, arrays))
            local.update(self.constants)
            numexpr.evaluate(self.expression, local_dict=local, out=out)
        return out

    def scratch_bytes(self, region: Region) -> int:
        return self.root.scratch_bytes(region)


class Fusion:
    """Finds, and remembers, the fused expression rooted at each elementwise node."""

    def __init__(self) -> None:
        self._found: dict[int, FusedExpression | None] = {}
        self._counter = itertools.count()

    def expression_for(self, node: Node) -> FusedExpression | None:
        """Return the fused expression rooted at ``node``, or None if it is not fusable."""
        if node.id not in self._found:
            built = self._visit(node) if _candidate(node) else None
            fused = None
            if built is not None:
                fused = FusedExpression(node, *_canonical(built[0], built[1], built[2]))
            self._found[node.id] = fused
        return self._found[node.id]

    def _visit(self, node: ElementwiseNode
               ) -> tuple[str, dict[str, Node], dict[str, np.ndarray], int] | None:
        """Return (expression, leaves, constants, operators) of the tree under ``node``.

        An operand whose tree would take the expression past numexpr's limits (inputs,
        registers) stays a leaf: it is evaluated as an expression of its own.
        """
        loop_in = self._loop_dtypes(node)
        if loop_in is None:
            return None
        if node.func not in _COMPLEX_SAFE and any(dt.kind == "c" for dt in loop_in):
            return None
        leaves: dict[str, Node] = {}
        constants: dict[str, np.ndarray] = {}
        parts = []
        operators = 1
        for position, op in enumerate(node.operands):
            if isinstance(op, Node):
                inner = self._visit(op) if _candidate(op) else None
                if inner is not None and (
                        len(leaves.keys() | inner[1].keys()) + len(constants) + len(inner[2])
                        > MAX_INPUTS or operators + inner[3] > MAX_OPERATORS):
                    inner = None
                if inner is None:
                    name = f"v{op.id}"
                    leaves[name] = op
                    parts.append(name)
                else:
                    parts.append(inner[0])
                    leaves.update(inner[1])
                    constants.update(inner[2])
                    operators += inner[3]
            else:
                try:
                    value = np.asarray(op, dtype=loop_in[position])
                except OverflowError:
                    # NumPy compares out-of-range Python ints exactly (2**70 > int64 array).
                    return None
                if value.dtype not in _OPERAND_DTYPES:
                    return None
                name = f"k{next(self._counter)}"
                constants[name] = value
                parts.append(name)
        if len(leaves) + len(constants) > MAX_INPUTS:
            return None
        # numexpr types an expression operator by operator, and every operand's type was
        # checked against NumPy's below; so checking this operator on its operands' types
        # checks the tree (and the check's text repeats, so it is cached).
        signature = tuple((f"x{i}", (op.dtype if isinstance(op, Node) else
                                     constants[part].dtype).str,
                           int(isinstance(op, Node)))
                          for i, (op, part) in enumerate(zip(node.operands, parts)))
        check = _render(node.func, [name for name, _, _ in signature])
        if _numexpr_dtype(check, signature) != node.dtype:
            return None
        if _is_square_root(node, loop_in):
            # NumPy's power loop takes the square root for a scalar exponent 0.5
            # (power(-inf, 0.5) is nan, power(-0.0, 0.5) is -0.0); numexpr's pow does not
            # (inf, 0.0)
            if node.operands[0].dtype == node.dtype:
                constants.pop(parts[1])
                return f"sqrt({parts[0]})", leaves, constants, operators
            # the base cast to the loop's float first (exactly: times 1.0 of that dtype)
            constants[parts[1]] = np.ones((), loop_in[1])
            return f"sqrt(({parts[0]} * {parts[1]}))", leaves, constants, operators
        return _render(node.func, parts), leaves, constants, operators

    @staticmethod
    def _loop_dtypes(node: ElementwiseNode) -> tuple[np.dtype, ...] | None:
        probe: list[Any] = []
        for op in node.operands:
            if isinstance(op, Node):
                probe.append(op.dtype)
            elif type(op) in (bool, int, float, complex):  # np.float64 is a float, but strong
                probe.append(type(op))
            else:
                probe.append(np.asarray(op).dtype)
        try:
            return node.func.resolve_dtypes(tuple(probe) + (None,) * node.func.nout)
        except (TypeError, ValueError):
            return None
