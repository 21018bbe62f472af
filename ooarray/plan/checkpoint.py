"""Checkpoints: where a plan's region nodes are computed once and kept, before the plan runs.

A task evaluates a whole tree of region nodes for its output region. That is right for one
large expression (fusion makes it one pass), but real programs are loops that build deep,
shared plans: a stencil step reads five shifted slices of the previous step, so evaluating
step ``k`` as a tree evaluates step ``k - 1`` five times, step ``k - 2`` twenty-five times, and
so on; a loop of ``x = x * 1.0001`` makes a plan thousands of nodes deep. So before a plan is
lowered, the planner picks *checkpoints*: region nodes that

* would be evaluated more than :data:`MAX_EVALUATIONS` times per output region (the number
  of paths from the root to them, counted through nodes that are evaluated again for each
  consumer), or
* lie more than :data:`MAX_DEPTH` costly region nodes above the nearest stored data (or any
  region nodes at all past :data:`MAX_VIEW_DEPTH`), so that no task evaluates a deep tree and
  no traversal recurses deeply.

The executor computes each checkpoint (inputs first) and *settles* the node on its values
(:func:`ooarray.plan.graph.settle`): it becomes an in-memory constant or a source read from a
temporary store, and drops its inputs. Every plan that holds the node, now and later, reads
the stored values: shared work is computed once, and a loop's plan stays shallow.

Views (slices, transposes, broadcasts, constants) are never checkpoints: recomputing them
costs nothing, while storing them costs a copy.
"""

from __future__ import annotations

from ooarray.plan.graph import Node, topological_order

__all__ = ["checkpoints", "refresh_depths", "MAX_EVALUATIONS", "MAX_DEPTH", "MAX_VIEW_DEPTH",
           "MAX_PENDING_DEPTH"]

#: A node whose region is requested more often than this per output region is computed once.
MAX_EVALUATIONS = 4
#: Costly region nodes (not views) a task may evaluate on top of stored data.
MAX_DEPTH = 32
#: Region nodes of any kind a task may evaluate on top of stored data.
MAX_VIEW_DEPTH = 4 * MAX_DEPTH
#: Nodes an array may have pending above stored data before its checkpoints are computed,
#: as it is made: a loop that never asks for a value keeps a bounded plan in memory.
MAX_PENDING_DEPTH = 2 * MAX_VIEW_DEPTH


def _consumers(order: list[Node]) -> dict[int, list[Node]]:
    readers: dict[int, list[Node]] = {node.id: [] for node in order}
    for node in order:
        for child in {c.id: c for c in node.inputs}.values():
            readers[child.id].append(node)
    return readers


def checkpoints(root: Node, max_evaluations: int = MAX_EVALUATIONS,
                max_depth: int = MAX_DEPTH) -> list[Node]:
    """Return the region nodes of ``root``'s plan to compute and settle first, inputs first.

    The root itself is never one (it is what the plan computes). Smaller limits make more
    checkpoints and smaller trees per task (for a plan whose tasks do not fit the budget
    otherwise): ``max_evaluations=1`` takes every region node that is not a view and is
    evaluated more than once, ``max_depth=1`` every costly one.
    """
    order = topological_order(root)
    chosen: set[int] = set()
    # Depth above stored data, inputs first.
    depth: dict[int, tuple[int, int]] = {}
    for node in order:
        if node.materialized:
            depth[node.id] = (0, 0)
            continue
        costly = max((depth[c.id][0] for c in node.inputs), default=0) + (not node.is_view)
        views = max((depth[c.id][1] for c in node.inputs), default=0) + 1
        if node is not root and ((costly > max_depth and not node.is_view)
                                 or views > MAX_VIEW_DEPTH):
            chosen.add(node.id)
            costly = views = 0
        depth[node.id] = (costly, views)
    # Evaluations per output region: the paths from the root (or from the materialised node
    # whose task evaluates them), cut at checkpoints.
    readers = _consumers(order)
    paths: dict[int, int] = {}
    for node in reversed(order):
        if node is root:
            count = 1
        else:
            count = sum(1 if reader.materialized or reader.id in chosen else paths[reader.id]
                        for reader in readers[node.id])
        if not node.materialized and not node.is_view and node is not root and \
                count > max_evaluations:
            chosen.add(node.id)
            count = 1
        paths[node.id] = count
    return [node for node in order if node.id in chosen]


def refresh_depths(root: Node) -> None:
    """Recompute :attr:`Node.depth` under ``root`` after nodes below it were settled."""
    for node in topological_order(root):
        node.depth = 1 + max((child.depth for child in node.inputs), default=-1)
