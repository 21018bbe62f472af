"""Sorting and order statistics: sort, argsort, partition, unique, searchsorted, quantiles."""
