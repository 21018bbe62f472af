"""Random NumPy programs: loops of updates, aliasing views, in-place operators and writes to
the NumPy operands, run with NumPy and with ooarray (the plan engine and the eager path) and
compared step by step (hypothesis draws the programs)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_like_numpy
from hypothesis import given, settings
from hypothesis import strategies as st

import ooarray as oa

N = 12
#: One step of a program over arrays ``x`` (the OOArray under test, or NumPy's) and ``y``
#: (an ndarray both programs share and write to).
STEPS = [
    ("x = x * 1.5 + y", lambda x, y, i: x * 1.5 + y),
    ("x = x[::-1] - x", lambda x, y, i: x[::-1] - x),
    ("x[1:] = x[:-1] + x[1:]", None),
    ("x[i] = x[i - 1] * 2", None),
    ("x += y", None),
    ("y[:] = y * 0.5 + i (after use)", None),
    ("x = np.where(x > y, x, y)", lambda x, y, i: np.where(x > y, x, y)),
    ("x = np.sqrt(np.abs(x)) + x.sum() / 100", lambda x, y, i: np.sqrt(np.abs(x)) + x.sum() / 100),
    ("x[x > 1] = 0.5", None),
    ("x = np.concatenate([x[6:], y[:6]])", lambda x, y, i: np.concatenate([x[6:], y[:6]])),
    ("x = np.roll(x, 1) @ np.eye(N) + x", lambda x, y, i: np.roll(x, 1) @ np.eye(N) + x),
]


def _step(x, y, kind: int, i: int):
    name, function = STEPS[kind]
    if function is not None:
        return function(x, y, i)
    if kind == 2:
        x[1:] = x[:-1] + x[1:]
    elif kind == 3:
        x[i % N] = x[i % N - 1] * 2
    elif kind == 4:
        x += y
    elif kind == 5:
        y[:] = y * 0.5 + i
    elif kind == 8:
        x[x > 1] = 0.5
    return x


@pytest.mark.parametrize("eager_bytes", [0, "1MiB"], ids=["planned", "eager"])
@settings(max_examples=60, deadline=None)
@given(program=st.lists(st.integers(0, len(STEPS) - 1), min_size=1, max_size=25),
       chunk=st.sampled_from([3, 5, N]))
def test_random_programs_match_numpy(eager_bytes, program, chunk):
    start = np.linspace(-1.0, 1.0, N)
    y_numpy, y_ooarray = np.cos(start), np.cos(start)
    x_numpy = start.copy()
    with oa.config.set(eager_bytes=eager_bytes):
        x = oa.asarray(start, chunks=chunk)
        for i, kind in enumerate(program):
            x_numpy = _step(x_numpy, y_numpy, kind, i)
            x = _step(x, y_ooarray, kind, i)
            if i % 7 == 6:  # a value now and then, as a convergence test asks for one
                assert_like_numpy(x, x_numpy, rtol=1e-9, atol=1e-12)
        assert_like_numpy(x, x_numpy, rtol=1e-9, atol=1e-12)
