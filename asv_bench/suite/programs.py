"""Small programs: the per-call overhead of ooarray on small arrays, and npbench-style kernels.

Each benchmark runs the same code on NumPy and on ooarray (the ``system`` parameter), in the
default configuration, so ``asv`` shows the two side by side: ``SmallArray`` times single
operations on a 1000-element float64 array (where any cost is overhead), ``Kernels`` times
loops written as NumPy programs (a Jacobi stencil, gradient descent, power iteration, a
per-row update loop) at sizes that fit in memory many times over. Every timed call ends with
a value (``float`` or ``np.asarray``), so a lazy result is really computed.
"""

from __future__ import annotations

import numpy as np

import ooarray as oa

SYSTEMS = ["numpy", "ooarray"]


def _wrap(system: str, x: np.ndarray):
    """A fresh array of ``x``'s values in ``system`` (the caller may write to it)."""
    return x.copy() if system == "numpy" else oa.asarray(x)


class SmallArray:
    """One operation on a 1000-element float64 array: the cost of each call."""

    params = (SYSTEMS,)
    param_names = ("system",)

    def setup(self, system: str) -> None:
        self.a = _wrap(system, np.linspace(0.0, 1.0, 1000))

    def time_add_then_sum(self, system: str) -> None:
        float((self.a + 1).sum())

    def time_chain_to_ndarray(self, system: str) -> None:
        np.asarray(self.a * 2 + 1)

    def time_slice(self, system: str) -> None:
        self.a[10:20]

    def time_slice_computed(self, system: str) -> None:
        np.asarray(self.a[10:20])

    def time_setitem(self, system: str) -> None:
        self.a[17] = 3.0

    def time_setitem_computed(self, system: str) -> None:
        self.a[17] = 3.0
        float(self.a[17])


def jacobi_2d(A, B, steps: int):
    """Five-point Jacobi relaxation, alternating between A and B in place."""
    for _ in range(steps):
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                               + A[:-2, 1:-1])
        A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1]
                               + B[:-2, 1:-1])
    return A


def gradient_descent(Q, b, x, steps: int, lr: float = 0.1):
    """Minimise 0.5 x'Qx - b'x with fixed-step gradient descent."""
    for _ in range(steps):
        x = x - lr * (Q @ x - b)
    return x


def power_iteration(M, v, steps: int):
    """The dominant eigenvector of M, normalised each step (a value on every step)."""
    for _ in range(steps):
        w = M @ v
        v = w / float(np.linalg.norm(w))
    return v


def row_updates(C, A):
    """Update C one row at a time from the row above and A's row."""
    for i in range(1, C.shape[0]):
        C[i, :] = 0.5 * C[i - 1, :] + A[i, :] * 2
    return C


class Kernels:
    """npbench-style kernels at small sizes, per system."""

    params = (SYSTEMS,)
    param_names = ("system",)
    timeout = 300

    def setup(self, system: str) -> None:
        rng = np.random.default_rng(0)
        n = 64
        self.A, self.B = rng.uniform(0, 1, (2, n, n))
        m = rng.standard_normal((n, n)) / np.sqrt(n)
        self.Q = m.T @ m + np.eye(n)  # symmetric positive definite
        self.b, self.x0 = rng.standard_normal((2, n))
        self.M = m @ m.T  # symmetric: a real dominant eigenvalue
        self.rows = rng.standard_normal((n, n))

    def time_jacobi_2d(self, system: str) -> None:
        np.asarray(jacobi_2d(_wrap(system, self.A), _wrap(system, self.B), 20))

    def time_gradient_descent(self, system: str) -> None:
        np.asarray(gradient_descent(_wrap(system, self.Q), _wrap(system, self.b),
                                    _wrap(system, self.x0), 50))

    def time_power_iteration(self, system: str) -> None:
        np.asarray(power_iteration(_wrap(system, self.M), _wrap(system, self.x0), 30))

    def time_row_updates(self, system: str) -> None:
        np.asarray(row_updates(_wrap(system, self.rows), _wrap(system, self.A)))
