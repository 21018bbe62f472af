"""Shared fixtures: dtypes, (shape, chunks) cases, a seeded generator, hypothesis settings."""

from __future__ import annotations

import os

import numpy as np
import pytest
from helpers import CASES, DTYPES
from hypothesis import HealthCheck, settings

import ooarray as oa

settings.register_profile(
    "ooarray", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# HYPOTHESIS_PROFILE=explore runs many more random examples when hunting for bugs.
settings.register_profile("explore", max_examples=1000, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ooarray"))
# tests/test_differential.py runs with one of these two, chosen by
# OOARRAY_HYPOTHESIS_PROFILE: "differential" (default, bounded for CI) or "long".
settings.register_profile(
    "differential", max_examples=100, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=list(HealthCheck))


@pytest.fixture(params=DTYPES, ids=str)
def dtype(request) -> np.dtype:
    """Each dtype the suite covers."""
    return request.param


@pytest.fixture(params=CASES, ids=lambda case: f"{case[0]}-{case[1]}")
def case(request) -> tuple:
    """A (shape, chunks) pair: 0-d, empty, one chunk, length-1 chunks, ragged, uneven."""
    return request.param


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded per test, so failures reproduce."""
    return np.random.default_rng(1234)


@pytest.fixture
def sync_executor():
    """Run on the sync executor: the exhaustive grids would spend most of their time starting
    threads (the random and tie tests keep the default thread executor)."""
    with oa.config.set(executor="sync"):
        yield


@pytest.fixture(autouse=True)
def planned_engine():
    """Run the plan engine even on the suite's small arrays: eager evaluation of small
    in-memory work (``eager_bytes``) would otherwise answer most tests with NumPy itself.
    tests/test_eager.py and tests/test_programs.py test the eager path."""
    if os.environ.get("OOARRAY_TEST_EAGER"):  # the whole suite on the eager path, to explore
        yield
        return
    with oa.config.set(eager_bytes=0):
        yield
