"""Scans along an axis: cumsum, cumprod, diff."""
