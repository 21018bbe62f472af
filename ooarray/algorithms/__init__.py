"""The operation algorithms: every node class an operation family plans with, apart from
the compiler that fuses, lowers and schedules them (:mod:`ooarray.plan`).

A module here imports the compiler's graph and region nodes (``ooarray.plan.graph``,
``ooarray.plan.regions``), the chunk maths, the stores and the buffer's address-space
checks; never an ``ops`` family, the array class or an entry point.

A module is named for the ``ops`` family that builds its nodes, so the two sides of a family
are found together (``ops/sorting.py`` plans with ``algorithms/sorting.py``):

- ``sorting`` (``ops/sorting``, ``ops/unique_family``, ``ops/quantiles``): lanes, the sample
  sort, run starts, order statistics, binary search; ``quantiles``: which order statistics
  a quantile reads, and its arithmetic;
- ``indexing``: gathers by integer arrays and the streaming of data-dependent reads;
  ``compact``: masks, count first then compact (``ops/indexing``, ``unique``);
- ``assignment``: region overlays and the bucketed scatter (the assignment modules);
- ``scans``, ``reductions``, ``histograms``, ``tallies``, ``joining``, ``padding``,
  ``manipulation`` (reshape), ``reordering`` (repeat, triangles), ``linalg`` (diagonals),
  ``decompositions``, ``fft``: each for the family of the same name;
- shared by several families: ``counting`` (bincount-like counts: statistics, tallies,
  histograms), ``matmul`` and ``blas`` (matrix products: linalg, einsum, statistics),
  ``rechunk`` (the array's ``rechunk`` and every family that needs another grid), ``mapped``
  (block-wise kernels and gufuncs).
"""
