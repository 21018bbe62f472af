"""The array layer: OOArray, NumPy dispatch, the eager path.

``OOArray`` holds a plan node and its metadata and speaks NumPy's protocols
(``__array_ufunc__``, ``__array_function__``, ``__array_namespace__``); the registries in
:mod:`~ooarray.core.dispatch` map NumPy functions to their family modules in
:mod:`ooarray.ops`, which register themselves. ``core`` may import the plan compiler, the
algorithms and everything below; never ``ops`` or an entry point (``compute``, ``to_zarr``
reach the array through the engine :mod:`ooarray.io` installs).
"""
