"""ooarray: an out-of-core NumPy backend.

Swap ``np.array(...)`` for ``ooarray.asarray(...)`` (or open a Zarr or ``.npy`` dataset with
``ooarray.open(...)``) and existing NumPy code runs on arrays larger than memory, inside a
memory budget the process keeps::

    import numpy as np, ooarray as oa
    oa.config.set(memory_limit="1GB")
    a = oa.open("a.zarr")
    z = np.sqrt(a * a + 1).sum(axis=0)
    z.to_zarr("z.zarr")
    print(oa.stats())
"""

from ooarray import config
from ooarray.core.array import OOArray
from ooarray.core.dispatch import supported_functions
from ooarray.diagnostics import array_html  # noqa: F401 (registers OOArray._repr_html_)
from ooarray.diagnostics.explain import explain
from ooarray.diagnostics.stats import collect_stats, reset_stats, stats
from ooarray.diagnostics.visualize import visualize
from ooarray.diagnostics.profile import Profile, profile
from ooarray.errors import BudgetError, DamagedChunkError
from ooarray.execute.callbacks import Callback
from ooarray.io import open, save
from ooarray.ops import creation, elementwise, linalg, random, reductions, decompositions  # noqa: F401,E501 (registers)
from ooarray.ops import einsum, manipulation, padding, reordering  # noqa: F401 (registers)
from ooarray.ops import assignment, indexing, joining, scans, selection, sorting, statistics  # noqa: F401,E501 (registers)
from ooarray.ops import creation_io  # noqa: F401 (registers)
from ooarray.ops import histograms, reduction_specs, tallies  # noqa: F401 (registers)
from ooarray.interop import fallback, metadata  # noqa: F401 (registers)
from ooarray.ops import copyto_putmask_place, quantiles, unique_family  # noqa: F401 (registers)
from ooarray.ops import elementwise_odds, saving, sets, ufunc_methods  # noqa: F401 (registers)
from ooarray.ops import calculus, index_tricks, polynomials, shapes_indices, windows  # noqa: F401,E501 (registers)
from ooarray.ops import fft as _fft_family  # noqa: F401 (registers numpy.fft)
from ooarray import array_api
from ooarray.core import dispatch as _dispatch
from ooarray.ops.creation import arange, array, asarray, empty, empty_like, eye, full, \
    full_like, linspace, ones, ones_like, zeros, zeros_like
from ooarray.ops.joining import indices

_dispatch.use_namespace(array_api)

__version__ = "0.1.0"

__all__ = [
    "OOArray", "BudgetError", "DamagedChunkError", "Callback", "config", "supported_functions", "stats",
    "collect_stats", "reset_stats", "profile", "Profile", "explain", "visualize", "open", "save",
    "asarray", "array", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "arange", "linspace", "eye", "indices", "random", "__version__",
]
