"""Diagnostics: statistics of computations, and the demo and benchmarks' reporting helpers.

The top layer beside ``ooarray/__init__``: it may import anything in the package, and nothing
in the package imports it.
"""
