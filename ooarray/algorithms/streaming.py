"""Helpers for nodes whose tasks stream data-dependent reads one piece at a time.

A gather or a compaction reads many pieces of its input, one per ``ctx.scope()``, so the task
holds one piece at a time. The schedule counts each intermediate chunk once per task (the
pool frees it after its last counted read), so a task must never pin an intermediate chunk in
two separate scopes: pieces that share an intermediate chunk are read in one scope.
:func:`scope_groups` finds those groups; stored (source) chunks may be read twice, which only
costs a second read.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from ooarray.chunks import Region
from ooarray.plan.graph import Node, SourceNode, leaf_chunks, region_footprint

__all__ = ["Piece", "intermediate_leaves", "scope_groups", "piece_footprint"]

#: What one streamed step reads: (node, region) pairs evaluated together.
Piece = Sequence[tuple[Node, Region]]


def intermediate_leaves(node: Node, region: Region) -> set[Hashable]:
    """Return the keys of the intermediate (task-made) chunks that ``region`` of ``node`` pins."""
    return {leaf.chunk_key(block) for leaf, block in leaf_chunks(node, region)
            if not isinstance(leaf, SourceNode)}


def scope_groups(leaves: Sequence[set[Hashable]]) -> list[list[int]]:
    """Group pieces that share an intermediate chunk; each group is read in one scope.

    ``leaves[i]`` is :func:`intermediate_leaves` of piece ``i``. Returns the groups in the
    order of their first piece, each in piece order.

    Examples
    --------
    >>> scope_groups([{"x"}, set(), {"y", "x"}])
    [[0, 2], [1]]
    """
    parent = list(range(len(leaves)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Hashable, int] = {}
    for number, keys in enumerate(leaves):
        for key in keys:
            if key in owner:
                parent[root(number)] = root(owner[key])
            else:
                owner[key] = number
    groups: dict[int, list[int]] = {}
    for number in range(len(leaves)):
        groups.setdefault(root(number), []).append(number)
    return sorted(groups.values(), key=lambda group: group[0])


def piece_footprint(piece: Piece) -> int:
    """Upper bound of the pool bytes reading ``piece`` takes (chunks pinned and regions built)."""
    return sum(sum(region_footprint(node, region)) for node, region in piece)
