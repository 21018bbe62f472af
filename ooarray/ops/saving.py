"""Saving OOArrays with NumPy's own functions: ``np.save``, ``np.savez``, ``np.savetxt``, chunk
by chunk (issue 16, item 6)."""

from __future__ import annotations

__all__: list[str] = []
