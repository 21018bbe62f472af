"""A plan's fingerprint: a digest of what a root computes, the same in every process.

``to_zarr``/``to_npy`` record it in the journal of a partial output (:mod:`ooarray.store.journal`)
so that ``resume=True`` continues only a partial of the same computation. The digest covers,
for every node of the plan (inputs before readers): its class, shape, dtype, chunk grid, which
nodes it reads, and every attribute it holds, walked generically:

* numbers, strings, dtypes, slices, tuples, lists, dicts and sets by value;
* in-memory arrays by shape, dtype and a CRC-32 of their bytes (a broadcast value by its
  one element);
* NumPy ufuncs and module-level functions by name; other functions (closures, lambdas) by
  their code, constants, defaults, the values their closures captured and the module
  globals they read (values by value; modules, classes and functions by name);
* stores on disk (Zarr, ``.npy``) by their real path and the size, modification time and
  inode of their files (:meth:`source_identity`); any other object by its class and attributes.

Whatever cannot be walked this way (a lock, an open file, an instance of a C extension
type, a ``frompyfunc`` ufunc, a remote store) makes the plan *opaque*: :func:`fingerprint`
returns None and ``resume=True`` starts afresh rather than trust an unverifiable partial.
Not covered: the code of a module-level function a plan calls (its name is), and a Zarr
chunk rewritten in place by another program (its directory's and ``zarr.json``'s times do
not change).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import sys
import types
import zlib
from typing import Any

import numpy as np

from ooarray.plan.graph import Node, topological_order

__all__ = ["fingerprint"]

#: Node attributes that are not what the node computes: bookkeeping, and caches filled as
#: the node is lowered (they would make the digest depend on what ran before).
_SKIPPED = frozenset({"id", "depth", "inputs", "shape", "dtype", "chunks", "_chunks",
                      "_tasks", "_run_cache", "_pieces", "_plans"})
#: How deep attribute values are walked before the plan is called opaque.
_MAX_DEPTH = 24


class _Opaque(Exception):
    """A value that has no process-independent description."""


class _Digest:
    def __init__(self) -> None:
        self.hash = hashlib.blake2b(digest_size=16)
        self.ordinals: dict[int, int] = {}  # id(node) -> its position in the walk
        self.active: set[int] = set()  # containers being walked (cycles are opaque)

    def feed(self, *parts: object) -> None:
        for part in parts:
            data = part if isinstance(part, bytes) else str(part).encode()
            self.hash.update(len(data).to_bytes(8, "little"))
            self.hash.update(data)

    def nodes(self, root: Node) -> None:
        for node in topological_order(root):
            if id(node) in self.ordinals:
                continue
            self.feed("node", type(node).__module__, type(node).__qualname__, node.shape,
                      node.dtype.str, node.dtype.descr, node.chunks,
                      [self.ordinals[id(child)] for child in node.inputs])
            self.attributes(node, 0)
            self.ordinals[id(node)] = len(self.ordinals)

    def attributes(self, obj: object, depth: int) -> None:
        names = dict(getattr(obj, "__dict__", {}))
        for cls in type(obj).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if hasattr(obj, slot) and slot not in ("__dict__", "__weakref__"):
                    names.setdefault(slot, getattr(obj, slot))
        for name in sorted(names):
            if name not in _SKIPPED:
                self.feed("attr", name)
                self.value(names[name], depth + 1)

    def value(self, value: Any, depth: int) -> None:  # noqa: C901 (one case per kind)
        if depth > _MAX_DEPTH:
            raise _Opaque("nested too deep")
        if value is None or value is Ellipsis or \
                isinstance(value, (bool, int, float, complex, str, bytes)):
            self.feed(type(value).__name__, repr(value))
        elif isinstance(value, np.ndarray):
            self.array(value)
        elif isinstance(value, np.generic):
            self.feed("scalar", value.dtype.str, value.dtype.descr, value.tobytes())
        elif isinstance(value, np.dtype):
            self.feed("dtype", value.str, value.descr)
        elif isinstance(value, slice):
            self.feed("slice", value.start, value.stop, value.step)
        elif isinstance(value, enum.Enum):
            self.feed("enum", type(value).__module__, type(value).__qualname__, value.name)
        elif isinstance(value, Node):
            if id(value) not in self.ordinals:
                self.nodes(value)
            self.feed("ref", self.ordinals[id(value)])
        elif isinstance(value, np.ufunc):
            if getattr(np, value.__name__, None) is not value and \
                    getattr(sys.modules.get("scipy.special"), value.__name__, None) is not value:
                raise _Opaque(f"the ufunc {value.__name__}")  # frompyfunc's: its function
            self.feed("ufunc", value.__name__)
        elif isinstance(value, type):
            self.feed("type", value.__module__, value.__qualname__)
        elif hasattr(value, "source_identity"):
            identity = value.source_identity()
            if identity is None:
                raise _Opaque(f"{type(value).__qualname__} without an identity")
            self.feed("store", type(value).__qualname__, identity)
        else:
            self.container(value, depth)

    def container(self, value: Any, depth: int) -> None:
        if id(value) in self.active:
            raise _Opaque("a cycle")
        self.active.add(id(value))
        try:
            if isinstance(value, (tuple, list)):
                self.feed(type(value).__name__, len(value))
                for item in value:
                    self.value(item, depth + 1)
            elif isinstance(value, dict):
                self.feed("dict", len(value))
                for key, item in sorted(value.items(), key=lambda kv: self.token(kv[0])):
                    self.value(key, depth + 1)
                    self.value(item, depth + 1)
            elif isinstance(value, (set, frozenset)):
                self.feed("set", sorted(self.token(item) for item in value))
            elif isinstance(value, functools.partial):
                self.feed("partial")
                self.value((value.func, value.args, value.keywords), depth + 1)
            elif isinstance(value, types.FunctionType):
                self.function(value, depth)
            elif isinstance(value, types.MethodType):
                self.feed("method")
                self.value((value.__func__, value.__self__), depth + 1)
            elif isinstance(value, types.ModuleType):
                self.feed("module", value.__name__)
            elif callable(value) and getattr(value, "__qualname__", None) and \
                    (not hasattr(value, "__dict__") or type(value).__module__ == "numpy"):
                # A builtin or C function (np.sum's dispatcher too) by name; a bound one
                # (np.add.reduce) with what it is bound to.
                bound = getattr(value, "__self__", None)
                self.feed("callable", getattr(value, "__module__", None), value.__qualname__)
                if bound is not None and not isinstance(bound, types.ModuleType):
                    self.value(bound, depth + 1)
            elif _plain_python_object(value):
                self.feed("object", type(value).__module__, type(value).__qualname__)
                self.attributes(value, depth)
            else:
                raise _Opaque(f"a {type(value).__qualname__}")
        finally:
            self.active.discard(id(value))

    def function(self, function: types.FunctionType, depth: int) -> None:
        self.feed("function", function.__module__, function.__qualname__)
        self.code(function.__code__, depth)
        # The module globals it reads: values by value, modules, classes and functions by
        # name (a global function's own code is not walked).
        for name in sorted(_names(function.__code__)):
            if name in function.__globals__:
                found = function.__globals__[name]
                self.feed("global", name)
                if isinstance(found, types.ModuleType):
                    self.feed("module", found.__name__)
                elif isinstance(found, (type, types.FunctionType, types.BuiltinFunctionType)):
                    self.feed("named", getattr(found, "__module__", None),
                              getattr(found, "__qualname__", None))
                else:
                    self.value(found, depth + 1)
        self.value((function.__defaults__, function.__kwdefaults__), depth + 1)
        for cell in function.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                contents = "<empty cell>"
            self.value(contents, depth + 1)

    def code(self, code: types.CodeType, depth: int) -> None:
        self.feed("code", code.co_code, code.co_names, code.co_varnames)
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                self.code(constant, depth + 1)
            else:
                self.value(constant, depth + 1)

    def array(self, array: np.ndarray) -> None:
        # A broadcast value is its distinct elements: a filled shape hashes one element.
        compact = array[tuple(slice(0, 1) if stride == 0 and length > 1 else slice(None)
                              for stride, length in zip(array.strides, array.shape, strict=True))]
        data = np.ascontiguousarray(compact)
        if data.dtype.hasobject:
            raise _Opaque("an object array")
        raw = memoryview(data.reshape(-1)).cast("B")
        self.feed("array", array.shape, array.dtype.str, array.dtype.descr,
                  [stride == 0 for stride in array.strides], len(raw), zlib.crc32(raw))

    def token(self, value: Any) -> str:
        """A standalone digest of ``value`` (to order dict keys and set members)."""
        inner = _Digest()
        inner.ordinals, inner.active = self.ordinals, self.active
        inner.value(value, 0)
        return inner.hash.hexdigest()


def _names(code: types.CodeType) -> set[str]:
    """The global (and attribute) names ``code`` and the code nested in it use."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement


def _plain_python_object(value: object) -> bool:
    """Whether ``value``'s state is all in its attributes: an instance of classes defined in
    Python (a C extension type keeps state its attributes do not show)."""
    if not (hasattr(value, "__dict__") or hasattr(type(value), "__slots__")):
        return False
    return all(cls is object or cls.__flags__ & _HEAP_TYPE for cls in type(value).__mro__)


def fingerprint(root: Node) -> str | None:
    """Return a digest (32 hex digits) of what ``root`` computes, or None if the plan holds
    something that has no process-independent description (see the module's docstring).

    Two plans with one fingerprint compute the same values, as far as the walk sees: same
    nodes with the same parameters over the same in-memory values and the same files.
    """
    digest = _Digest()
    try:
        digest.nodes(root)
    except (_Opaque, RecursionError):  # nodes held by nodes' attributes, thousands deep
        return None
    return digest.hash.hexdigest()
