"""Elementwise selection and comparison functions: where, select, clip, round, isclose, ..."""
