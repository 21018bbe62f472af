"""Differences, integrals, convolutions and interpolation: ``gradient``, ``trapezoid``,
``unwrap``, ``ediff1d``, ``interp``, ``convolve``, ``correlate`` (issue 16, item 1)."""

from __future__ import annotations

__all__: list[str] = []
