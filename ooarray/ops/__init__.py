"""NumPy functions, one module per family; importing a module registers its functions.

A family module checks arguments as NumPy does (on zero-byte stand-ins), builds nodes from
:mod:`ooarray.algorithms` and the compiler's region nodes, and returns an ``OOArray``. It may
import the array layer, the algorithms and everything below; never an entry point. Nodes are
named for the family that builds them (``ops/sorting.py`` plans with
``algorithms/sorting.py``).
"""

# Families whose modules are imported here rather than by ``ooarray/__init__.py``.
from ooarray.ops import bits, printing  # noqa: E402,F401 (registers)
