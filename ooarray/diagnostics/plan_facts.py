"""The facts :mod:`.explain` prints and :mod:`.visualize` draws, gathered without computing.

For an array, :func:`gather` lowers the plan that ``compute()`` (or, for a result larger than
``memory_limit``, ``to_zarr``) would run, exactly as :mod:`ooarray.compute` makes it, and
reads off it, for every node before optimisation and after (fusion into numexpr expressions):
the operation, shape, dtype, chunking, the tasks that make or evaluate it, the bytes they
read and write; then the admission and the expected pool traffic of :mod:`.projection`.

Nothing runs: no chunk is read, no task is made to work, and checkpoints the planner would
compute first are only named (the plan shown evaluates them inline, where a real run would
compute each once and read it back).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ooarray import config as _config
from ooarray.chunks import Chunks, region_shape
from ooarray.config import Config
from ooarray.core import eager
from ooarray.core.array import OOArray, operation_name
from ooarray.diagnostics.projection import (
    IOProjection,
    StageAdmission,
    admission,
    chunk_bytes,
    project_io,
)
from ooarray.errors import format_bytes
from ooarray.execute.graph_guard import graph_guard
from ooarray.io import _store_chunks
from ooarray.plan.checkpoint import checkpoints
from ooarray.plan.graph import ConstantNode, Node, SourceNode, topological_order
from ooarray.plan.lower import Plan
from ooarray.plan.regions import ElementwiseNode
from ooarray.plan.schedule import schedule

__all__ = ["NodeFacts", "PlanFacts", "gather", "SINK"]

#: The key of a plan's sink (the tasks that write the result) in :attr:`PlanFacts.after`.
SINK = "sink"


@dataclasses.dataclass
class NodeFacts:
    """One node of a plan as displays show it.

    Attributes
    ----------
    key : str
        ``"#<id>"`` for a plan node, ``"f<id>"`` for the numexpr expression rooted at node
        ``<id>``, :data:`SINK` for the tasks that write the result.
    operation : str
        The node's label (``sum``, ``matmul``, ``zarr /data/a.zarr``), ``numexpr`` for a
        fused expression, ``compute()`` or ``to_zarr()`` for the sink.
    kind : str
        ``stored`` (read from a store), ``in memory``, ``tasks`` (made by tasks of its own,
        kept in the pool), ``elementwise``, ``view`` (slices, transposes: no copy),
        ``region`` (another node evaluated inside the tasks that read it), ``numexpr``,
        ``sink``.
    inputs : list of str
        Keys of the nodes it reads.
    tasks : int
        Tasks that make it (``tasks``, ``sink``), or that evaluate it (region nodes).
    bytes_read : int
        Bytes of stored chunks its tasks pin; for a ``stored`` node, the bytes expected to
        be read from its store under the policy.
    bytes_written : int
        Bytes its tasks put into the pool or hand to the sink.
    largest_task : int
        The largest working set of its tasks (``Task.nbytes``).
    stage : int or None
        The stage its tasks run in (1-based).
    expression : str or None
        A fused expression's numexpr text; ``leaves`` names its inputs, ``members`` the
        nodes it stands for.
    fused_into : str or None
        For an elementwise node before optimisation: the expression it became part of.
    evaluated_in : list of str
        For region nodes: the keys of the nodes whose tasks evaluate them.
    checkpoint : bool
        The planner computes and keeps this node before the plan runs.
    note : str
        Anything else worth a word (a sink the root's tasks write directly).
    """

    key: str
    operation: str
    kind: str
    shape: tuple[int, ...]
    dtype: np.dtype
    chunks: Chunks
    inputs: list[str] = dataclasses.field(default_factory=list)
    tasks: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    largest_task: int = 0
    stage: int | None = None
    expression: str | None = None
    leaves: dict[str, str] = dataclasses.field(default_factory=dict)
    members: list[str] = dataclasses.field(default_factory=list)
    fused_into: str | None = None
    evaluated_in: list[str] = dataclasses.field(default_factory=list)
    checkpoint: bool = False
    note: str = ""

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def nchunks(self) -> int:
        return math.prod(len(axis) for axis in self.chunks)

    @property
    def chunksize(self) -> tuple[int, ...]:
        """The largest chunk's shape."""
        return tuple(max(axis, default=0) for axis in self.chunks)

    @property
    def runs_tasks(self) -> bool:
        """Whether tasks of its own make it (a stage of the plan, or the sink)."""
        return self.kind in ("tasks", "sink")


@dataclasses.dataclass
class PlanFacts:
    """One array's plan: its nodes before and after optimisation, memory and I/O.

    Attributes
    ----------
    title : str
        The array's operation, shape and dtype.
    target : str
        ``compute()`` (the result is kept in memory) or ``to_zarr()`` (a result larger than
        ``memory_limit`` can only be written).
    before, after : list of NodeFacts
        Inputs before the nodes that read them.
    settings : Config
    resident : int
        Bytes of the result kept in memory beside the pool (``compute()``).
    max_task_bytes : int
        ``Plan.max_task_bytes``: the largest working set of any task.
    stages : list of StageAdmission
        Per stage of the schedule: tasks, how many run at once, the largest.
    threads : int
        Task threads the executor would use (``num_threads`` for ``threads``, else 1).
    io : IOProjection
    eager : bool
        The array is in memory and small: ``compute()`` copies it and runs no task.
    """

    title: str
    target: str
    before: list[NodeFacts]
    after: list[NodeFacts]
    settings: Config
    resident: int
    max_task_bytes: int
    stages: list[StageAdmission]
    threads: int
    io: IOProjection
    eager: bool = False

    @property
    def tasks(self) -> int:
        return sum(stage.tasks for stage in self.stages)

    @property
    def memory_limit(self) -> int:
        return self.settings.memory_limit

    @property
    def pool_limit(self) -> int:
        """The pool's budget: ``memory_limit`` less the result kept in memory."""
        return max(1, self.memory_limit - self.resident)

    @property
    def fits(self) -> bool:
        """Whether the largest task fits beside the result (else the run raises
        BudgetError, after trying more checkpoints)."""
        return self.max_task_bytes + self.resident <= self.memory_limit

    @property
    def at_once(self) -> int:
        """The most tasks of one stage that run at once."""
        return max((stage.at_once for stage in self.stages), default=1)

    @property
    def projected_peak(self) -> int:
        """The most bytes that running tasks' working sets and the result hold at once."""
        return max((stage.held for stage in self.stages), default=0) + self.resident

    @property
    def checkpoints(self) -> list[NodeFacts]:
        return [facts for facts in self.before if facts.checkpoint]


def _kind(node: Node) -> str:
    if isinstance(node, SourceNode):
        return "stored"
    if isinstance(node, ConstantNode):
        return "in memory"
    if node.materialized:
        return "tasks"
    if isinstance(node, ElementwiseNode):
        return "elementwise"
    return "view" if node.is_view else "region"


def _facts(node: Node, **extra: Any) -> NodeFacts:
    return NodeFacts(f"#{node.id}", node.label, _kind(node), node.shape, node.dtype,
                     node.chunks, **extra)


def _target(array: OOArray, limit: int) -> tuple[str, Chunks, int]:
    """What a run of ``array`` writes into: (name, the sink's grid, bytes kept in memory)."""
    if array.nbytes <= limit:
        return "compute()", array.chunks, array.nbytes
    return "to_zarr()", _store_chunks(array, None), 0


def gather(array: OOArray, settings: Config | None = None) -> PlanFacts:
    """Lower ``array``'s plan as a run would and return what it does (nothing is computed).

    Parameters
    ----------
    array : OOArray
    settings : Config, optional
        The settings a run would use (by default those in force).

    Returns
    -------
    PlanFacts
    """
    settings = settings if settings is not None else _config.get()
    root = array.node
    target, sink_chunks, resident = _target(array, settings.memory_limit)
    threads = settings.num_threads if settings.executor == "threads" else 1
    pool_limit = max(1, settings.memory_limit - resident)
    with graph_guard().reading():  # no checkpoint of another thread settles meanwhile
        chosen = {node.id for node in checkpoints(root)}
        plan = Plan(root, sink_chunks)
        order = schedule(plan)
        graph = topological_order(root)
        stages = admission(order, pool_limit, threads)
        io = project_io(plan, order, pool_limit, settings.policy, stages)
        after = _after(plan, graph, io, sink_chunks)
        before = _before(graph, after, chosen)
    title = f"{operation_name(root)} {array.shape} {array.dtype} ({format_bytes(array.nbytes)})"
    small = type(root) is ConstantNode and array.nbytes <= eager.eager_limit()
    after[SINK].operation = target
    return PlanFacts(title, target, before, list(after.values()), settings, resident,
                     plan.max_task_bytes, stages, threads, io, eager=small)


def _after(plan: Plan, graph: list[Node], io: IOProjection, sink_chunks: Chunks
           ) -> dict[str, NodeFacts]:
    """The optimised plan's nodes by key: materialised nodes, the region nodes the tasks
    evaluate (fused trees as one expression each), and the sink."""
    sizes = chunk_bytes(plan)
    by_id = {node.id: node for node in graph}
    stage_of = {node.id: number + 1 for number, node in enumerate(plan.stages)}
    facts: dict[str, NodeFacts] = {}

    # Tasks of each maker: a stage node (key "#id") or the sink.
    for task in plan.tasks:
        key = SINK if task.sink and not task.direct else f"#{task.node.id}"
        if key not in facts:
            if key == SINK:
                facts[key] = NodeFacts(SINK, "", "sink", plan.root.shape, plan.root.dtype,
                                       sink_chunks, stage=len(plan.stages) + 1)
            else:
                facts[key] = _facts(task.node, stage=stage_of[task.node.id])
        made = facts[key]
        made.tasks += 1
        made.bytes_read += sum(sizes[k] for k in task.reads)
        if task.delivers:
            made.bytes_written += math.prod(region_shape(task.output_region())) \
                * plan.root.dtype.itemsize
        else:
            made.bytes_written += sizes[task.write]
        made.largest_task = max(made.largest_task, task.nbytes)

    def key_of(node: Node) -> str:
        return f"f{node.id}" if plan.fusion.expression_for(node) is not None \
            and not node.materialized else f"#{node.id}"

    def visit(node: Node, maker: str) -> None:
        """Record that ``maker``'s tasks evaluate ``node`` (and what it reads)."""
        pending = [node]
        while pending:
            current = pending.pop()
            if current.materialized:
                if f"#{current.id}" not in facts:
                    facts[f"#{current.id}"] = _facts(current)
                continue
            fused = plan.fusion.expression_for(current)
            key = key_of(current)
            entry = facts.get(key)
            if entry is None:
                if fused is not None:
                    entry = NodeFacts(key, "numexpr", "numexpr", current.shape, current.dtype,
                                      current.chunks, expression=fused.expression)
                    entry.leaves = {name: key_of(leaf)
                                    for name, leaf in zip(fused.names, fused.leaves, strict=True)}
                    entry.inputs = list(dict.fromkeys(entry.leaves.values()))
                    entry.members = [f"#{n.id}" for n in _members(current, fused.leaves)]
                else:
                    entry = _facts(current)
                    entry.inputs = [key_of(c) for c in current.inputs]
                facts[key] = entry
            if maker in entry.evaluated_in:
                continue
            entry.evaluated_in.append(maker)
            pending.extend(fused.leaves if fused is not None else current.inputs)

    if SINK not in facts:  # the root's own tasks hand their chunks to the sink
        facts[SINK] = NodeFacts(SINK, "", "sink", plan.root.shape, plan.root.dtype,
                                sink_chunks, note=f"written by the tasks of #{plan.root.id}",
                                bytes_written=facts[f"#{plan.root.id}"].bytes_written)
    for key in list(facts):
        if key == SINK:
            visit(plan.root, SINK)
            facts[SINK].inputs = [key_of(plan.root)]
        else:
            made = by_id[int(key[1:])]
            facts[key].inputs = [key_of(c) for c in made.inputs]
            for child in made.inputs:
                visit(child, key)
    for entry in facts.values():
        if entry.evaluated_in:
            entry.tasks = sum(facts[maker].tasks for maker in entry.evaluated_in)
        if entry.kind == "stored":
            entry.bytes_read = io.read_by_node.get(int(entry.key[1:]), 0)
    # Inputs before the nodes that read them: the graph's order, fused roots in place.
    position = {node.id: number for number, node in enumerate(graph)}
    return dict(sorted(facts.items(), key=lambda item: (
        len(graph) if item[0] == SINK else position[int(item[0][1:])])))


def _members(root: Node, leaves: list[Node]) -> list[Node]:
    """The nodes of the elementwise tree under ``root`` down to ``leaves``, inputs first."""
    stop = {leaf.id for leaf in leaves}
    found: dict[int, Node] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        if node.id in stop or node.id in found:
            continue
        found[node.id] = node
        pending.extend(node.inputs)
    return sorted(found.values(), key=lambda node: node.id)


def _before(graph: list[Node], after: dict[str, NodeFacts], chosen: set[int]
            ) -> list[NodeFacts]:
    """Every node of the plan as built, with the figures of the optimised plan where the
    node is still there, and the expression it went into where it was fused."""
    fused_into = {member: entry.key for entry in after.values() for member in entry.members}
    found = []
    for node in graph:
        key = f"#{node.id}"
        facts = _facts(node, inputs=[f"#{c.id}" for c in node.inputs],
                       checkpoint=node.id in chosen)
        kept = after.get(key)
        if kept is not None:
            for name in ("tasks", "bytes_read", "bytes_written", "largest_task", "stage",
                         "evaluated_in"):
                setattr(facts, name, getattr(kept, name))
        facts.fused_into = fused_into.get(key)
        if facts.fused_into is not None and kept is None:
            facts.tasks = after[facts.fused_into].tasks
        found.append(facts)
    return found
