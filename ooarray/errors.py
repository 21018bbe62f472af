"""Exception and warning classes of ooarray.

Everything else raises NumPy's own exception types (``ValueError``, ``TypeError``,
``numpy.exceptions.AxisError``); these are the few conditions NumPy has no type for.
"""

from __future__ import annotations

__all__ = ["BudgetError", "DamagedChunkError", "format_bytes"]


def format_bytes(nbytes: float) -> str:
    """Return ``nbytes`` as a short human-readable string, e.g. ``'64.0 MiB'``."""
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


class BudgetError(MemoryError):
    """A computation cannot run inside the configured ``memory_limit``.

    Raised before any work starts. ``needed`` and ``limit`` are in bytes.
    """

    def __init__(self, message: str, *, needed: int, limit: int) -> None:
        super().__init__(message)
        self.needed = int(needed)
        self.limit = int(limit)


class DamagedChunkError(ValueError):
    """A stored chunk cannot be read back as what it should be: it fails to decode, or holds
    the wrong number of bytes (a truncated, emptied or corrupted file). The message names the
    file and the chunk index; a chunk that is missing altogether reads as the array's fill
    value, as Zarr defines."""
