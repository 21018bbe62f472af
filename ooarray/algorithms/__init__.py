"""The operation algorithms: every node class an operation family plans with, apart from
the compiler that fuses, lowers and schedules them (:mod:`ooarray.plan`).

A module here imports the compiler's graph and region nodes (``ooarray.plan.graph``,
``ooarray.plan.regions``), the chunk maths, the stores and the buffer's address-space
checks; never an ``ops`` family, the array class or an entry point. The families in
:mod:`ooarray.ops` build their nodes from here:

- sorting and selection: ``sort``, ``select``, ``quantile``;
- gathering and compaction (indexing): ``gather``, ``compact``, ``streaming``;
- scattering (assignment): ``scatter``;
- scans: ``scan``; reductions: ``reduce``;
- counting and histograms (statistics): ``counting``, ``tally``, ``binning``;
- matrix products and BLAS (linalg, einsum): ``matmul``, ``blas``;
- decompositions: ``decompositions``;
- reshaping, repeats, triangles, diagonals (manipulation): ``reshape``, ``repeat``,
  ``triangle``, ``diagonal``;
- joining and padding: ``concat``, ``ramp``; rechunking: ``rechunk``; block-wise maps:
  ``mapped``.
"""
