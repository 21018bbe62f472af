"""Dependencies point one way: no module of ooarray imports a module of a layer above its own.

The layers, bottom to top (docs/architecture.md draws them):

0. ``errors``, ``config``, ``chunks`` (chunk-grid maths): leaves every layer may use;
1. ``store``: Zarr, ``.npy``, spill and checkpoint files;
2. ``buffer``: the pool, its policies, address-space checks;
3. ``execute``: executors, task contexts, callbacks, the process budget (no plan module);
4. ``plan``: the compiler (graph, region nodes, fusion, lowering, scheduling, checkpoints);
5. ``algorithms``: the operation nodes (sorting, gathering, scattering, scans, counting,
   matrix products, decompositions, reshapes...);
6. the array: ``core`` (OOArray, dispatch, eager), ``ops``, ``array_api``, ``interop``;
7. the entry points that join them: ``compute`` and ``io`` (compute, to_zarr, to_npy, open,
   save);
8. what stands on all of it: ``diagnostics``, the package itself, ``__main__``, and the
   xarray adapter (loaded by xarray's entry point).

Imports inside functions count as well (a function-level import is no way around a layer);
imports under ``if TYPE_CHECKING`` do not (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import ooarray

PACKAGE = Path(ooarray.__file__).parent

LAYERS: list[list[str]] = [
    ["ooarray.errors", "ooarray.config", "ooarray.chunks"],
    ["ooarray.store"],
    ["ooarray.buffer"],
    ["ooarray.execute"],
    ["ooarray.plan"],
    ["ooarray.algorithms"],
    ["ooarray.core", "ooarray.ops", "ooarray.array_api", "ooarray.interop"],
    ["ooarray.compute", "ooarray.io"],
    ["ooarray", "ooarray.__main__", "ooarray.diagnostics", "ooarray.interop.xarray",
     "ooarray.interop.xarray_testing"],
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def layer(module: str) -> int:
    """The layer of ``module``: that of the longest prefix named in :data:`LAYERS`."""
    best, length = None, -1
    for position, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = position, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def _resolve(name: str) -> str | None:
    """The module of ours that importing ``name`` runs (a name inside a module: the module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> list[tuple[str, int]]:
    """(imported module of ours, line) for every import ``module`` runs."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = [f"{base}.{alias.name}" for alias in child.names]
            else:
                visit(child)
                continue
            for name in names:
                target = _resolve(name) if name.startswith("ooarray") else None
                if target is not None and target != module:
                    found.append((target, child.lineno))

    visit(ast.parse(path.read_text()))
    return found


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer(module)


def test_no_import_runs_up_a_layer():
    upward = [f"{module}:{line} imports {target} (layer {layer(target)} over {layer(module)})"
              for module in sorted(MODULES) for target, line in imports_of(module)
              if layer(target) > layer(module)]
    assert not upward, "imports against the direction of the layers:\n" + "\n".join(upward)


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    # The check itself can fail: a store module importing the executor is reported.
    fake = tmp_path / "store" / "bad.py"
    fake.parent.mkdir()
    fake.write_text("def f():\n    from ooarray.execute.executor import execute\n")
    monkeypatch.setitem(MODULES, "ooarray.store.bad", fake)
    assert [(target, layer(target)) for target, _ in imports_of("ooarray.store.bad")] == \
        [("ooarray.execute.executor", 3)]
    assert layer("ooarray.execute.executor") > layer("ooarray.store.bad")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other in a circle (Tarjan's strongly connected
    components of more than one module, and modules importing themselves), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_modules_import_each_other_in_a_circle():
    graph = {module: {target for target, _ in imports_of(module)
                      if not (MODULES[module].name == "__init__.py"
                              and target.startswith(module + "."))}
             for module in MODULES}
    # A package's __init__ importing its own submodules is how a package exposes them; a
    # submodule importing its package back would still be seen (the edge the other way).
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
