"""Polynomials and function application: ``vander``, ``polyval``, ``polyfit``, ``polyadd``,
``polysub``, ``polymul``, ``polyder``, ``polyint``, ``piecewise``, ``apply_along_axis``,
``apply_over_axes`` (issue 16, item 4)."""

from __future__ import annotations

__all__: list[str] = []
