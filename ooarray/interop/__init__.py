"""Interoperability: NumPy fallbacks for small inputs, xarray's chunk manager and test plugin.

* :mod:`ooarray.interop.fallback` runs a NumPy function ooarray does not implement in memory,
  when its OOArray inputs and an estimate of its result fit ``memory_limit`` (and says so with
  an :class:`InMemoryFallbackWarning`); otherwise it raises the unsupported-function TypeError.
* :mod:`ooarray.interop.metadata` answers NumPy's metadata functions (``np.shape``,
  ``np.ndim``, ``np.result_type``...) without computing anything.
* :mod:`ooarray.interop.xarray` is xarray's ``ChunkManagerEntrypoint`` for OOArrays
  (entry point ``xarray.chunkmanagers = ooarray``); :mod:`ooarray.interop.gufunc` applies a
  function with core dimensions loop block by loop block for its ``apply_gufunc``.
* :mod:`ooarray.interop.xarray_testing` runs xarray's duck-array suite against ooarray.
"""
