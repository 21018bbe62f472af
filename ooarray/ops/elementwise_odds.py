"""Elementwise functions that are not ufuncs: ``angle``, ``fix``, ``sinc``, ``i0``,
``real_if_close``, ``iscomplex``, ``isreal``, ``isposinf``, ``isneginf``, array endpoints of
``linspace``/``logspace``/``geomspace``, ``lib.scimath`` (issue 16, item 5)."""

from __future__ import annotations

__all__: list[str] = []
