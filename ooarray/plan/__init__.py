"""The plan compiler: the graph and its region nodes, fusion into numexpr expressions,
lowering to chunk tasks with their working sets, scheduling, checkpoints and fingerprints.

It imports the chunk maths, the stores and the buffer; never an operation algorithm
(:mod:`ooarray.algorithms`), an ``ops`` family or the array class.
"""
