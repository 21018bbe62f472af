"""Benchmarks of ooarray against its peers, run as ``python -m ooarray bench <name>``.

``elementwise``
    A fused elementwise chain written back to disk, ``sum`` and ``std``, on Zarr and ``.npy``
    inputs, against NumPy in memory, ``numpy.memmap`` + numexpr and dask.array.

``report`` holds what every benchmark shares (measuring a run, result rows, tables, JSON);
the peers that are optional extras (Dask) are imported only when they run. The asv twin of
these benchmarks is in ``asv_bench/``.
"""
