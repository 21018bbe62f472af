"""``C += A @ B`` in one BLAS call, through the BLAS that NumPy itself loaded.

NumPy's ``matmul`` always overwrites its output, so a tile that is the sum of several products
would need a product buffer and an addition pass per product (a pass over the whole tile in
memory, once for every chunk piece of every k-step). BLAS's GEMM computes
``C = alpha A B + beta C``; with ``beta = 1`` it accumulates while it computes, in place, into
a strided view of the tile. NumPy's wheels ship OpenBLAS with its CBLAS interface exported
(``scipy_cblas_dgemm64_``: 64-bit integers); this module finds it with ctypes, the same library
and thread pool that ``np.matmul`` uses. Where it is not found (another build of NumPy),
:func:`gemm_accumulate` falls back to ``np.matmul`` into a scratch buffer and an addition.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import functools
import glob
import os
import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ooarray.buffer.address_space import can_map
from ooarray.errors import format_bytes

__all__ = ["gemm_accumulate", "blas_gemm_available", "BandedGemm", "finish_lanes",
           "GemmCall", "blas_room"]

#: One ``c (+)= a @ b``: the operands, the output view, and whether to overwrite it.
GemmCall = tuple[np.ndarray, np.ndarray, np.ndarray, bool]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
#: Per dtype: the GEMM's letter, and whether alpha/beta are passed by pointer (complex).
_GEMM_TYPES = {np.dtype(np.float32): ("s", False), np.dtype(np.float64): ("d", False),
               np.dtype(np.complex64): ("c", True), np.dtype(np.complex128): ("z", True)}
#: CBLAS symbol patterns and their integer type: NumPy's scipy-openblas (ILP64), then a
#: plain ILP64 and a plain LP64 OpenBLAS.
_SYMBOLS = (("scipy_cblas_{}gemm64_", ctypes.c_int64), ("cblas_{}gemm64_", ctypes.c_int64),
            ("cblas_{}gemm", ctypes.c_int))


#: Address space OpenBLAS maps for the working buffer of a GEMM the first time it has that
#: many calls running at once (its ``BUFFER_SIZE``: 32 MiB on x86-64; measured here, a
#: thread's first 512 x 512 GEMM grows the process's mappings by exactly 32 MiB, and later
#: calls, on any thread, reuse the buffer).
BLAS_BUFFER_BYTES = 32 << 20
#: Kept free beside the buffers: what the process maps meanwhile (thread stacks, the pool).
BLAS_SLACK_BYTES = 8 << 20
#: A GEMM of at least this many multiply-adds (m n k) surely took a buffer: OpenBLAS runs
#: smaller ones on kernels that need none (``dgemm_small_kernel_permit``: up to 100³).
BLAS_BUFFERED_MNK = 128**3


class _BufferLedger:
    """BLAS calls running now, and how many at once have run with their buffers mapped.

    OpenBLAS maps a buffer when a call finds none free, and when the map fails (an
    address-space limit, ``ulimit -v``) it retries ten times and then calls ``exit(1)``
    from the calling thread: the process dies, segfaults while other threads still use
    the buffers that exit frees, or hangs in OpenBLAS's shutdown. So before a call that may
    need a buffer no earlier call has mapped, the room is checked by mapping (and at once
    unmapping) as much, and its absence raised as ``MemoryError`` in Python.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0  # buffers the calls running now use
        self.proven = 0  # buffers known to be mapped (most that ran at once)


_LEDGER = _BufferLedger()


def _check_address_space(nbytes: int, buffers: int) -> None:
    """Raise MemoryError unless the process can map ``nbytes`` more now."""
    error = can_map(nbytes)
    if error is not None:
        raise MemoryError(
            f"BLAS needs {format_bytes(nbytes)} of address space for {buffers} more working "
            f"buffer(s) of {format_bytes(BLAS_BUFFER_BYTES)} and the process cannot map it "
            f"({error.strerror}; an address-space limit such as ulimit -v?); OpenBLAS would "
            f"end the process, so the matmul stops here. Raise the limit, or give BLAS "
            f"fewer threads") from error


@contextlib.contextmanager
def blas_room(threads: int = 1, mnk: int = BLAS_BUFFERED_MNK) -> Iterator[None]:
    """Run a BLAS call of ``threads`` threads (and ``m n k`` multiply-adds) inside this
    block: raise MemoryError first if it may need a buffer that cannot be mapped.

    The check is made only while more calls run at once than ever ran with their buffers
    before (a few times per process, or every small call until a large one), and maps
    only when the address space is limited (``RLIMIT_AS``, strict overcommit): 1-2 us, or
    ~10 us with the map.
    """
    ledger = _LEDGER
    with ledger.lock:
        ledger.running += threads
        level = ledger.running
        missing = level - ledger.proven
        if missing > 0:
            try:
                _check_address_space(missing * BLAS_BUFFER_BYTES + BLAS_SLACK_BYTES, missing)
            except BaseException:
                ledger.running -= threads
                raise
    try:
        yield
    finally:
        with ledger.lock:
            ledger.running -= threads
            if mnk >= BLAS_BUFFERED_MNK:  # its buffers are mapped now
                ledger.proven = max(ledger.proven, level)


@functools.cache
def _threads_function() -> Callable[[], int] | None:
    """OpenBLAS's ``get_num_threads`` in the library NumPy loaded, or None."""
    for path in _library_candidates():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                     "openblas_get_num_threads"):
            function = getattr(library, name, None)
            if function is not None:
                function.restype, function.argtypes = ctypes.c_int, []
                return function
    return None


def _blas_threads() -> int:
    """Threads the next BLAS call may use (each maps a buffer of its own)."""
    function = _threads_function()
    return max(1, function()) if function is not None else os.cpu_count() or 1


def _library_candidates() -> list[str]:
    root = os.path.dirname(np.__file__)
    patterns = [os.path.join(root, "..", "numpy.libs", "*openblas*"),
                os.path.join(root, ".dylibs", "*openblas*")]
    return sorted(path for pattern in patterns for path in glob.glob(pattern))


@functools.cache
def _gemm(dtype: np.dtype) -> tuple[Callable[..., None], type] | None:
    """Return NumPy's CBLAS ``?gemm`` for ``dtype`` and its integer type, or None."""
    if dtype not in _GEMM_TYPES or os.environ.get("OOARRAY_NO_DIRECT_BLAS"):
        return None
    letter, by_pointer = _GEMM_TYPES[dtype]
    for path in _library_candidates():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for pattern, integer in _SYMBOLS:
            function = getattr(library, pattern.format(letter), None)
            if function is None:
                continue
            scalar = ctypes.c_void_p if by_pointer else (
                ctypes.c_float if letter == "s" else ctypes.c_double)
            function.restype = None
            function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer,
                                 integer, scalar, ctypes.c_void_p, integer, ctypes.c_void_p,
                                 integer, scalar, ctypes.c_void_p, integer]
            return function, integer
    return None


def blas_gemm_available(dtype: np.dtype) -> bool:
    """Return whether :func:`gemm_accumulate` calls BLAS directly for ``dtype``."""
    return _gemm(np.dtype(dtype)) is not None


def _layout(array: np.ndarray) -> tuple[int, int] | None:
    """Return (transpose flag, leading dimension) for a 2-D view BLAS can read, or None."""
    item = array.itemsize
    rows, cols = array.shape
    row_stride, col_stride = array.strides
    if (col_stride == item or cols <= 1) and row_stride % item == 0 \
            and row_stride // item >= max(1, cols):
        return _NO_TRANS, row_stride // item
    if (row_stride == item or rows <= 1) and col_stride % item == 0 \
            and col_stride // item >= max(1, rows):
        return _TRANS, col_stride // item
    return None


def gemm_accumulate(a: np.ndarray, b: np.ndarray, c: np.ndarray,
                    scratch: np.ndarray | None = None, overwrite: bool = False) -> None:
    """Compute ``c += a @ b`` (or ``c = a @ b`` when ``overwrite``) for 2-D arrays.

    Parameters
    ----------
    a, b : numpy.ndarray
        (m, k) and (k, n), of ``c``'s dtype.
    c : numpy.ndarray
        (m, n), written in place; may be a strided view of a larger tile.
    scratch : numpy.ndarray, optional
        At least (m, n) of ``c``'s dtype: the product buffer of the fallback (without it the
        fallback allocates one).
    overwrite : bool
        Write the product instead of adding it.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.ones((2, 2))
    >>> gemm_accumulate(np.eye(2), np.full((2, 2), 3.0), c)
    >>> c
    array([[4., 4.],
           [4., 4.]])
    """
    m, k = a.shape
    n = b.shape[1]
    found = _gemm(c.dtype) if a.dtype == b.dtype == c.dtype else None
    layout_c = _layout(c) if found else None
    if found and m and n and k and layout_c is not None and layout_c[0] == _NO_TRANS:
        layout_a, layout_b = _layout(a), _layout(b)
        if layout_a is not None and layout_b is not None:
            function, integer = found
            beta = 0.0 if overwrite else 1.0
            if c.dtype.kind == "c":
                one = np.ones(1, c.dtype)
                factor = np.full(1, beta, c.dtype)
                alpha_arg, beta_arg = one.ctypes.data, factor.ctypes.data
            else:
                alpha_arg, beta_arg = 1.0, beta
            with blas_room(_blas_threads(), m * n * k):
                function(_ROW_MAJOR, layout_a[0], layout_b[0], integer(m), integer(n),
                         integer(k), alpha_arg, a.ctypes.data, integer(layout_a[1]),
                         b.ctypes.data, integer(layout_b[1]), beta_arg, c.ctypes.data,
                         integer(layout_c[1]))
            return
    # NumPy's matmul calls the same BLAS for floating and complex dtypes
    room = blas_room(_blas_threads(), m * n * k) if c.dtype.kind in "fc" and m and n and k \
        else contextlib.nullcontext()
    if overwrite or not (m and n):
        with room:
            np.matmul(a, b, out=c, casting="unsafe")
        return
    product = scratch[:m, :n] if scratch is not None else np.empty((m, n), c.dtype)
    with room:
        np.matmul(a, b, out=product, casting="unsafe")
    if c.dtype == np.bool_:
        np.logical_or(c, product, out=c)
    else:
        np.add(c, product, out=c)


@functools.cache
def _lane_threads(count: int) -> concurrent.futures.ThreadPoolExecutor:
    """The threads that run GEMM bands (kept between tasks), all started here.

    A pool starts its threads as work arrives, and a thread that cannot start (no room
    for its stack) makes ``submit`` raise after queueing the work, whose future the caller
    then never sees: a band could run on a surviving thread after its task had failed, or
    wait for a step of its band that never ran. Started together here, a failure raises
    before any band is queued (and the next call tries again).
    """
    pool = concurrent.futures.ThreadPoolExecutor(count, thread_name_prefix="ooarray-gemm")
    started = threading.Barrier(count)  # each thread holds its start until all have one
    try:
        waits = [pool.submit(started.wait) for _ in range(count)]
    except BaseException:
        started.abort()  # release the threads that started
        pool.shutdown(wait=False)
        raise
    concurrent.futures.wait(waits)
    return pool


def _run_lane(lane: Sequence[GemmCall]) -> None:
    for a, b, c, overwrite in lane:
        gemm_accumulate(a, b, c, overwrite=overwrite)


class BandedGemm:
    """The GEMM calls of one task, cut into bands of the output, run by one thread per core.

    Each step's calls come as one list per band; a band's lists run in step order, any band
    on any thread: the threads take bands from one queue, so a thread that the I/O thread
    slowed down does not leave the other idle until it catches up (with one fixed band per
    thread, that cost ~1.7 s of 46 at n = 16384). With BLAS limited to one thread, two threads
    on two cores run about 10 % faster than one two-thread BLAS on the same calls of chunk
    size: no thread waits for its partner inside BLAS, at each call's barriers or when the I/O
    thread takes its core (docs/matmul.md).

    Parameters
    ----------
    bands : int
        Bands per step; the ``c`` views of one band never overlap those of another.
    threads : int
        Threads that run the bands.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.zeros((2, 2))
    >>> run = BandedGemm(bands=2, threads=2)
    >>> futures = run.start([[(np.eye(1), np.ones((1, 2)), c[:1], True)],
    ...                      [(np.eye(1), np.full((1, 2), 2.0), c[1:], True)]])
    >>> futures += run.start([[(np.eye(1), np.ones((1, 2)), c[:1], False)], []])
    >>> finish_lanes(futures)
    >>> c
    array([[2., 2.],
           [2., 2.]])
    """

    def __init__(self, bands: int, threads: int) -> None:
        self.bands, self.threads = bands, max(1, threads)
        self._steps = 0
        self._next = [0] * bands  # per band, the step whose calls run next
        self._turn = threading.Condition()

    def start(self, bands: Sequence[Sequence[GemmCall]]) -> list[concurrent.futures.Future]:
        """Queue one step's calls, one list per band; return their futures."""
        if len(bands) != self.bands:
            raise ValueError(f"expected {self.bands} bands of calls, got {len(bands)}")
        step, self._steps = self._steps, self._steps + 1
        pool = _lane_threads(self.threads)
        return [pool.submit(self._run, step, band, calls) for band, calls in enumerate(bands)]

    def _run(self, step: int, band: int, calls: Sequence[GemmCall]) -> None:
        with self._turn:  # the band's calls of the step before have ended
            self._turn.wait_for(lambda: self._next[band] == step)
        try:
            _run_lane(calls)
        finally:
            with self._turn:
                self._next[band] = step + 1
                self._turn.notify_all()


def finish_lanes(futures: Sequence[concurrent.futures.Future]) -> None:
    """Wait until every band's calls have ended, then raise the first error, if any."""
    concurrent.futures.wait(futures)
    for future in futures:
        future.result()
