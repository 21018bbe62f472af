"""Ufunc methods beyond ``__call__`` and ``reduce``: ``accumulate``, ``outer``, ``reduceat``
and ``at`` (issue 16, item 2)."""

from __future__ import annotations

__all__: list[str] = []
