"""Inspection: ``__array_namespace_info__()``, what this namespace and its device offer."""

from __future__ import annotations

from typing import Any

import numpy as np

from ooarray.array_api._dtypes import ALL_DTYPES, CATEGORIES, DEFAULT_DTYPES, check_dtype
from ooarray.array_api._helpers import check_device

__all__ = ["__array_namespace_info__", "Info"]

#: ``capabilities()``: boolean masks and data-dependent shapes are computed count first, then
#: compacted; NumPy's limit on dimensions holds.
CAPABILITIES = {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}


class Info:
    """The inspection namespace the standard defines."""

    __module__ = "ooarray.array_api"

    def capabilities(self) -> dict[str, Any]:
        """Return the optional features this namespace supports."""
        return dict(CAPABILITIES)

    def default_device(self) -> str:
        """Return ``"cpu"``, the only device."""
        return "cpu"

    def devices(self) -> list[str]:
        """Return the devices arrays may live on: ``["cpu"]``."""
        return ["cpu"]

    def default_dtypes(self, *, device: Any = None) -> dict[str, np.dtype]:
        """Return the default dtypes (float64, complex128, int64 for integers and indices)."""
        check_device(device)
        return dict(DEFAULT_DTYPES)

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, np.dtype]:
        """Return the supported dtypes by name, all or those of ``kind``."""
        check_device(device)
        if kind is None:
            return {str(d): d for d in ALL_DTYPES}
        if isinstance(kind, tuple):
            result: dict[str, np.dtype] = {}
            for k in kind:
                result.update(self.dtypes(device=device, kind=k))
            return result
        if isinstance(kind, str):
            if kind not in CATEGORIES:
                raise ValueError(f"kind must be one of {list(CATEGORIES)}; got {kind!r}")
            return {str(d): d for d in CATEGORIES[kind]}
        dtype = check_dtype(kind)
        return {str(dtype): dtype}


def __array_namespace_info__() -> Info:
    """Return the inspection namespace.

    Examples
    --------
    >>> import ooarray.array_api as xp
    >>> xp.__array_namespace_info__().default_dtypes()["integral"]
    dtype('int64')
    """
    return Info()
