"""Diagnostics: statistics of computations, and the demo and benchmarks' reporting helpers."""
