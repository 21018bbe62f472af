"""Benchmarks of ooarray against its peers. They are part of the repository, not of the
installed package: run them from a checkout, with ooarray installed (``pip install -e
".[bench]"`` for every peer), as ``python -m benchmarks <name> [options]`` or
``python -m ooarray bench <name> [options]`` (the same command).

``all``
    Every workload (the elementwise chain, ``sum`` and ``std``, ``A @ B``, a sort, a
    small-array loop) for ooarray, NumPy in memory, ``numpy.memmap``, Dask, Cubed and Blosc2
    side by side, each system in a process of its own, with ratios to ooarray, Markdown
    tables and figures (``compare.py``; its inputs in ``compare_inputs.py``, its systems in
    ``compare_systems.py``, checks and tables in ``compare_report.py``, figures in
    ``compare_plots.py``).
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
``cluster``
    ooarray's threads, ooarray on a dask.distributed LocalCluster and dask.array on it
    (``cluster.py``).

``harness.py`` holds what the benchmarks share: measuring a run (wall and CPU time, peak RSS
and RSS over time, bytes read and written), the systems' common part (an optional extra that
is missing, ooarray's settings, pool and counters), making and warming the inputs, the run
loop, the tables, the verdict and the JSON. ``outputs.py`` says where results go and refuses
to write over files git tracks; ``helptext.py`` turns the modules' docstrings into plain
text for ``--help``. The asv suite in ``asv_bench/`` runs the same systems and inputs
(``asv_bench/suite``).
"""
