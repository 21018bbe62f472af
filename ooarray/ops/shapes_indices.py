"""Shapes and indices: ``delete``, ``insert``, ``resize``, ``trim_zeros``, ``extract``,
``choose``, ``diag``, ``diagflat``, the ``*_indices_from`` functions, ``kron``, ``cross``,
``ravel_multi_index``, ``unravel_index``, ``ix_`` (issue 16, item 4)."""

from __future__ import annotations

__all__: list[str] = []
