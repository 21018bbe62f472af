"""Benchmarks of ooarray against its peers. They are part of the repository, not of the
installed package: run them from a checkout, with ooarray installed (``pip install -e
".[bench]"`` for every peer), as ``python -m benchmarks <name> [options]`` or
``python -m ooarray bench <name> [options]`` (the same command).

``elementwise``
    A fused elementwise chain written back to disk, ``sum`` and ``std``, on Zarr and ``.npy``
    inputs, against NumPy in memory, ``numpy.memmap`` + numexpr and dask.array
    (``elementwise.py``, its systems in ``elementwise_systems.py``).
``matmul``
    ``C = A @ B`` on Zarr inputs, ooarray with the Belady and the LRU policy against Dask and
    NumPy in memory, with figures (``matmul.py``, ``matmul_systems.py``, ``plots.py``).
``npbench``
    spcl/npbench's NumPy kernels, unchanged, with NumPy and with ooarray, one process each
    (``npbench.py``).

``harness.py`` holds what the benchmarks share: measuring a run (wall and CPU time, peak RSS
and RSS over time, bytes read and written), the systems' common part (an optional extra that
is missing, ooarray's settings, pool and counters), making and warming the inputs, the run
loop, the tables, the verdict and the JSON. The asv suite in ``asv_bench/`` runs the same
systems (``asv_bench/suite``).
"""
