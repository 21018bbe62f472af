"""``.npy`` chunk store: raw files read and written one chunk at a time.

A long-lived mapping of the whole file would put every page the computation touches into the
process's resident set (8 GB in the benchmark the design cites), invisible to the budget. So a
chunk of a committed file that is one contiguous byte range (of at least
:data:`MAP_MIN_BYTES`) is mapped read-only on its own (:meth:`NpyStore.map_chunk`), and the
pool counts the mapping in its budget while it holds the chunk and unmaps it when the chunk
leaves (:mod:`ooarray.buffer.manager`): no copy from the page cache, and no page beyond the
budget. The file's size is checked first, so a file truncated since it was opened raises
``OSError`` as a read does; a file truncated in place *while* one of its chunks is mapped
would end the process with SIGBUS where a read would have raised (set :data:`MAP_CHUNKS`
false to read every chunk by copy). Other contiguous chunks are read with ``preadv``
straight into the pool's buffer and written with ``pwrite``; any other chunk is read and
written run by run (its rows, or larger pieces when its trailing axes are whole), every
transfer checked: a mapping of a file being written would die of SIGBUS on a full disk,
where a write raises ``OSError``.

A file being written is a partial whose header bytes stay zero until commit (NumPy finds no
``.npy`` there), with a journal beside it (:mod:`ooarray.store.journal`) listing each chunk
written and a checksum (CRC-32C) of its values: the file alone cannot tell which ranges were
written.
``create(..., resume=True)`` continues the partial of a stopped run instead.
"""

from __future__ import annotations

import errno
import io
import itertools
import math
import mmap
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ooarray.chunks import Chunks, block_region, normalize_chunks
from ooarray.store.base import Borrow, ChunkStore
from ooarray.store.fileio import check_space, close_descriptor, read_exact, write_all
from ooarray.store.journal import Entry, Journal, JournalledWrites, claim
from ooarray.store.leftovers import journal_path, partial_name
from ooarray.store.termination import clean_up_on_termination

__all__ = ["NpyStore", "npy_header", "MAP_CHUNKS"]

#: Whether a committed file's chunk that is one contiguous byte range is mapped read-only
#: into the pool (:meth:`NpyStore.map_chunk`) instead of copied into a pool buffer: the
#: copy from the page cache cost the sum of a 2 GiB file 0.26 s against 0.14 s for a
#: mapping. The pool counts the mapping in its budget while it holds the chunk and unmaps
#: it when the chunk leaves, so no mapped page escapes the budget. False: always copy.
MAP_CHUNKS = True
#: Chunks smaller than this are copied: a mapping starts and ends on page boundaries, and
#: the bytes beyond the chunk (up to two pages) would be a large share of a small one.
MAP_MIN_BYTES = 1 << 20


def _contiguous_span(shape: tuple[int, ...], region: tuple[slice, ...]) -> tuple[int, int] | None:
    """Return (first element, element count) if ``region`` is one contiguous run in C order.

    It is when every axis after the first one that spans more than one element is whole.
    """
    spanning = False
    for length, sel in zip(shape, region):
        extent = sel.stop - sel.start
        if spanning and extent != length:
            return None
        spanning = spanning or extent > 1
    start, stride = 0, 1
    for length, sel in zip(reversed(shape), reversed(region)):
        start += sel.start * stride
        stride *= length
    count = 1
    for sel in region:
        count *= sel.stop - sel.start
    return start, count


def npy_header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    """The header ``np.save`` writes for a C-ordered array (format 1.0, or 2.0 if too long).

    Examples
    --------
    >>> import numpy as np
    >>> header = npy_header((2, 3), np.dtype("<f8"))
    >>> header[1:8], len(header) % 64
    (b'NUMPY\\x01\\x00', 0)
    """
    described = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                 "fortran_order": False, "shape": tuple(shape)}
    buffer = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(buffer, described)
    except ValueError:  # a header too long for format 1.0
        buffer = io.BytesIO()
        np.lib.format.write_array_header_2_0(buffer, described)
    return buffer.getvalue()


class NpyStore(JournalledWrites, ChunkStore):
    """A C-ordered ``.npy`` file as a chunk store.

    Parameters
    ----------
    path : str or path-like
        The file.
    chunks : chunks argument, optional
        How to split it; by default slabs along the leading axes, each one contiguous run.
    target_bytes : int
        Chunk size that ``'auto'`` aims for.
    """

    def __init__(self, path: str | os.PathLike, shape: tuple[int, ...], dtype: np.dtype,
                 data_offset: int, chunks: Chunks, final_path: str | None = None,
                 journal: Journal | None = None, header: bytes = b"") -> None:
        self.path = os.fspath(path)
        self.shape, self.dtype, self.chunks = tuple(shape), np.dtype(dtype), chunks
        self.data_offset = int(data_offset)
        self._final_path = final_path
        self._journal, self._header = journal, header
        self._fd = os.open(self.path, os.O_RDWR if final_path else os.O_RDONLY)

    @classmethod
    def open(cls, path: str | os.PathLike, chunks: object = "auto",
             target_bytes: int = 32 * 2**20) -> tuple["NpyStore", bool]:
        """Open a ``.npy`` file; return the store and whether the file is Fortran-ordered.

        A Fortran-ordered file is exposed as the C-ordered array of the reversed shape (the
        caller transposes it back).

        Raises
        ------
        TypeError
            If the file holds object, string or other non-numeric data.
        """
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            offset = handle.tell()
        if dtype.hasobject or dtype.kind not in "biufc":
            raise TypeError(f"{path} holds dtype {dtype}; ooarray supports bool, integer, "
                            f"float and complex data")
        needed = offset + math.prod(shape) * dtype.itemsize
        if os.path.getsize(path) < needed:  # a header that lies, or a truncated copy
            raise ValueError(f"{path} is {os.path.getsize(path):,} bytes but its header "
                             f"describes {shape} {dtype} ({needed:,} bytes with the header); "
                             f"the file is truncated or damaged")
        if fortran:
            shape = tuple(reversed(shape))
        grid = normalize_chunks(chunks, shape, dtype.itemsize, target_bytes)
        return cls(path, shape, dtype, offset, grid), bool(fortran)

    @classmethod
    def create(cls, path: str | os.PathLike, shape: tuple[int, ...], dtype: np.dtype,
               chunks: Chunks, overwrite: bool = False, resume: bool = False,
               fingerprint: str | None = None) -> "NpyStore":
        """Start writing a ``.npy`` file that appears at ``path`` only on :meth:`commit`.

        With ``resume`` (and a ``fingerprint``), the newest partial of ``path`` left by a
        stopped process whose journal records the same shape, dtype, chunks and fingerprint
        is taken over; the chunks whose values match the journal's checksum are :attr:`done`.
        Without such a partial the write starts afresh.

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is false.
        """
        final = Path(path)
        if final.exists() and not overwrite:
            raise FileExistsError(f"{final} already exists; pass overwrite=True to replace it")
        clean_up_on_termination()
        dtype = np.dtype(dtype)
        header = npy_header(shape, dtype)
        size = len(header) + math.prod(shape) * dtype.itemsize
        identity = {"format": "npy", "shape": list(shape), "dtype": dtype.str,
                    "descr": np.lib.format.dtype_to_descr(dtype), "chunks": [list(c) for c in chunks],
                    "nchunks": math.prod(len(c) for c in chunks), "header": header.hex(),
                    "fingerprint": fingerprint}
        claimed = claim(final, identity) if resume and fingerprint is not None else None
        if claimed is not None:
            try:
                os.truncate(claimed.path, size)  # as made, whatever happened to it since
                store = cls(claimed.path, shape, dtype, len(header), chunks,
                            final_path=str(final), journal=claimed.journal, header=header)
                store._verify(claimed.done)
            except BaseException:
                claimed.journal.close()  # the partial stays resumable
                raise
            return store
        check_space(str(final), size)  # a file of known size: refused before any work
        temp = partial_name(final)
        try:
            with open(temp, "wb") as handle:
                # The header stays zero until commit: NumPy sees no .npy in a partial.
                handle.truncate(size)
            journal = Journal(journal_path(temp), identity)
            return cls(temp, shape, dtype, len(header), chunks, final_path=str(final),
                       journal=journal, header=header)
        except BaseException:
            temp.unlink(missing_ok=True)
            journal_path(temp).unlink(missing_ok=True)
            raise

    def _verify(self, listed: dict[tuple[int, ...], Entry]) -> None:
        """Mark done the chunks the journal lists whose values in the file still have the
        checksum it recorded (a chunk that fails is written again)."""
        done, blocks = set(), self._blocks()
        buffers: dict[tuple[int, ...], np.ndarray] = {}  # one per chunk shape, reused
        for index, (crc, nbytes) in listed.items():
            if index not in blocks:
                continue
            shape = self.chunk_shape(index)
            out = buffers.get(shape)
            if out is None:
                out = buffers[shape] = np.empty(shape, self.dtype)
            if out.nbytes != nbytes:
                continue
            try:
                self.read_chunk(index, out)
            except OSError:
                continue
            if self._journal.checksum(out) == crc:
                done.add(index)
        self.done = frozenset(done)

    def _blocks(self) -> set[tuple[int, ...]]:
        return set(itertools.product(*(range(len(axis)) for axis in self.chunks)))

    def source_identity(self) -> object:
        """What :func:`ooarray.plan.fingerprint.fingerprint` records of an input file: its
        real path, inode, size and modification time."""
        info = os.stat(self.path)
        return ("npy", os.path.realpath(self.path), info.st_ino, info.st_size,
                info.st_mtime_ns, self.data_offset)

    @property
    def description(self) -> str:
        return f"npy {self._final_path or self.path}"

    def _runs(self, region: tuple[slice, ...], array: np.ndarray
              ) -> Iterator[tuple[int, np.ndarray]]:
        """(byte offset in the file, contiguous piece of ``array``) for each run of ``region``
        that is contiguous in the file: the region's rows, or larger pieces when its
        trailing axes are whole."""
        k = len(self.shape) - 1
        while k > 0 and region[k].stop - region[k].start == self.shape[k]:
            k -= 1  # axes after k are whole: a run spans axis k's range and all of them
        strides = [math.prod(self.shape[i + 1:]) for i in range(len(self.shape))]
        inner = region[k].start * strides[k]
        for outer in itertools.product(*(range(r.start, r.stop) for r in region[:k])):
            start = sum(i * stride for i, stride in zip(outer, strides, strict=False))
            piece = array[tuple(i - r.start for i, r in zip(outer, region, strict=False))]
            yield self.data_offset + (start + inner) * self.dtype.itemsize, piece

    def read_chunk(self, index: tuple[int, ...], out: np.ndarray, borrow=None) -> None:
        region = block_region(self.chunks, index)
        if out.size == 0:
            return
        span = _contiguous_span(self.shape, region)
        if span is not None and out.flags.c_contiguous:
            read_exact(self._fd, memoryview(out),
                       self.data_offset + span[0] * self.dtype.itemsize, self.path)
            return
        # Run by run with checked reads: a mapping of a file truncated since it was opened
        # would kill the process with SIGBUS instead of raising.
        target = out if out.flags.c_contiguous else np.empty(out.shape, out.dtype)
        for offset, piece in self._runs(region, target):
            read_exact(self._fd, memoryview(piece.reshape(-1)), offset, self.path)
        if target is not out:
            np.copyto(out, target)

    def mapped_bytes(self, index: tuple[int, ...]) -> int | None:
        """Return the bytes :meth:`map_chunk` maps for chunk ``index`` (whole pages), or None
        if the chunk is read by copy: mapping is off (:data:`MAP_CHUNKS`), the file is being
        written, or the chunk is empty or not one contiguous byte range of the file."""
        if not MAP_CHUNKS or self._final_path is not None:
            return None
        region = block_region(self.chunks, index)
        span = _contiguous_span(self.shape, region)
        if span is None or span[1] * self.dtype.itemsize < max(1, MAP_MIN_BYTES):
            return None
        start, length = self._mapped_range(span)
        return -(-length // mmap.PAGESIZE) * mmap.PAGESIZE

    def _mapped_range(self, span: tuple[int, int]) -> tuple[int, int]:
        """(file offset aligned down to the allocation granularity, length) of a span."""
        offset = self.data_offset + span[0] * self.dtype.itemsize
        start = offset - offset % mmap.ALLOCATIONGRANULARITY
        return start, offset - start + span[1] * self.dtype.itemsize

    def map_chunk(self, index: tuple[int, ...]) -> tuple[mmap.mmap, np.ndarray]:
        """Map chunk ``index`` (one for which :meth:`mapped_bytes` is not None) read-only;
        return the mapping and a read-only array view of the chunk on it (closing the
        mapping unmaps it, once no view is left).

        Raises
        ------
        OSError
            If the file is too short for the chunk (truncated since it was opened), as a
            read would: a mapping past the end of the file dies of SIGBUS when touched.
        """
        region = block_region(self.chunks, index)
        span = _contiguous_span(self.shape, region)
        start, length = self._mapped_range(span)
        size = os.fstat(self._fd).st_size
        if size < start + length:
            raise OSError(errno.EIO, f"{self.path} is too short: it ends at byte {size:,} "
                          f"but chunk {index} needs bytes up to {start + length:,}",
                          self.path)
        mapping = mmap.mmap(self._fd, length, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ,
                            offset=start)
        try:
            nbytes = span[1] * self.dtype.itemsize
            value = np.frombuffer(mapping, np.uint8, nbytes, length - nbytes)
            value = value.view(self.dtype).reshape(tuple(r.stop - r.start for r in region))
        except BaseException:
            mapping.close()
            raise
        return mapping, value

    def write_chunk(self, index: tuple[int, ...], data: np.ndarray,
                    borrow: Borrow | None = None) -> None:
        region = block_region(self.chunks, index)
        data = np.ascontiguousarray(data, dtype=self.dtype)
        if data.size:
            span = _contiguous_span(self.shape, region)
            if span is not None:
                write_all(self._fd, memoryview(data),
                          self.data_offset + span[0] * self.dtype.itemsize, self.path)
            else:
                # Run by run with checked writes: stores into a mapping of the (sparse) file
                # die of SIGBUS when the disk is full, where a write raises ENOSPC.
                for offset, piece in self._runs(region, data):
                    write_all(self._fd, memoryview(piece.reshape(-1)), offset, self.path)
        self._record(index, data.reshape(-1))

    def commit(self) -> None:
        # The rename makes the file appear whole or not at all to every process; like zarr,
        # no fsync: durability against power loss would cost 1-2 s per 2 GiB here.
        if self._final_path is None:
            return
        write_all(self._fd, memoryview(self._header), 0, self.path)  # now it is a .npy
        os.replace(self.path, self._final_path)
        self.path, self._final_path = self._final_path, None
        self._drop_journal()

    def abort(self) -> None:
        if self._final_path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self._final_path = None
        self._drop_journal()

    def __del__(self) -> None:
        fd, self._fd = getattr(self, "_fd", -1), -1
        close_descriptor(fd)

    # A pickled store (a plan sent to another process) opens its file again there: a file
    # descriptor means nothing in another process. A copy of a store being written writes
    # into the same partial file and records its chunks for the owner (take_written).
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_fd"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._fd = os.open(self.path, os.O_RDWR if self._final_path else os.O_RDONLY)


