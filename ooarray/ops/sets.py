"""Set operations and ordering: ``isin``, ``intersect1d``, ``union1d``, ``setdiff1d``,
``setxor1d``, ``lexsort`` (issue 16, item 3)."""

from __future__ import annotations

__all__: list[str] = []
