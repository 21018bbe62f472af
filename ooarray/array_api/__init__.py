"""The Python Array API standard namespace over OOArrays (``x.__array_namespace__()``).

Array-API-generic code (SciPy, scikit-learn, array-api-compat users) gets ooarray's
out-of-core arrays by taking this namespace as ``xp``::

    import ooarray.array_api as xp
    x = xp.asarray(data)
    y = xp.sum(xp.sqrt(x * x + 1), axis=0)

Each family module maps the standard's functions onto ooarray's NumPy-compatible
registrations (``np.func`` on OOArrays) or onto plan nodes directly, adapting signatures.
Data types are ``numpy.dtype`` instances. See ``docs/array_api.md``.
"""

from ooarray.array_api import fft, linalg
from ooarray.array_api._constants import *  # noqa: F401,F403
from ooarray.array_api._constants import __all__ as _constants
from ooarray.array_api._creation_functions import *  # noqa: F401,F403
from ooarray.array_api._creation_functions import __all__ as _creation
from ooarray.array_api._data_type_functions import *  # noqa: F401,F403
from ooarray.array_api._data_type_functions import __all__ as _data_type
from ooarray.array_api._dtypes import (  # noqa: F401
    bool,
    complex64,
    complex128,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ooarray.array_api._elementwise_functions import *  # noqa: F401,F403
from ooarray.array_api._elementwise_functions import __all__ as _elementwise
from ooarray.array_api._indexing_functions import *  # noqa: F401,F403
from ooarray.array_api._indexing_functions import __all__ as _indexing
from ooarray.array_api._info import __array_namespace_info__  # noqa: F401
from ooarray.array_api._linear_algebra_functions import *  # noqa: F401,F403
from ooarray.array_api._linear_algebra_functions import __all__ as _linear_algebra
from ooarray.array_api._manipulation_functions import *  # noqa: F401,F403
from ooarray.array_api._manipulation_functions import __all__ as _manipulation
from ooarray.array_api._numpy_names import *  # noqa: F401,F403
from ooarray.array_api._numpy_names import __all__ as _numpy_names
from ooarray.array_api._searching_functions import *  # noqa: F401,F403
from ooarray.array_api._searching_functions import __all__ as _searching
from ooarray.array_api._set_functions import *  # noqa: F401,F403
from ooarray.array_api._set_functions import __all__ as _set
from ooarray.array_api._sorting_functions import *  # noqa: F401,F403
from ooarray.array_api._sorting_functions import __all__ as _sorting
from ooarray.array_api._statistical_functions import *  # noqa: F401,F403
from ooarray.array_api._statistical_functions import __all__ as _statistical
from ooarray.array_api._utility_functions import *  # noqa: F401,F403
from ooarray.array_api._utility_functions import __all__ as _utility

#: The standard's revision this namespace implements (what array-api-tests checks against).
__array_api_version__ = "2024.12"
#: Revisions ``x.__array_namespace__(api_version=...)`` accepts.
SUPPORTED_VERSIONS = ("2023.12", "2024.12")

__all__ = [
    "__array_api_version__", "__array_namespace_info__", "fft", "linalg",
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128",
    *_constants, *_creation, *_data_type, *_elementwise, *_indexing, *_linear_algebra,
    *_manipulation, *_searching, *_set, *_sorting, *_statistical, *_utility,
    *_numpy_names,  # NumPy's names that xarray calls on the namespace (not the standard's)
]
