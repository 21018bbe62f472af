"""Zarr v3 chunk store: the default persisted format.

Reads of whole chunks from a local directory written with the codecs ooarray uses (bytes, then
Blosc, Zstd or nothing) skip zarr's general path and decode the chunk file straight into the
pool's buffer: zarr's own read allocates a fresh array per chunk, and on this class of machine
memory touched for the first time costs ten times more than memory reused. A chunk file of at
least :data:`~ooarray.store.memmap.MAP_MIN_BYTES` is decoded from a read-only mapping of it,
not copied into a buffer first (counted in the load's charge like the buffer it replaces).
Writes encode Blosc chunks into a buffer borrowed from the pool
(:mod:`ooarray.store.blosc_into`). Any other layout (remote stores, sharding, other codecs,
edge chunks) goes through zarr's public API.

A store being written is a partial directory without ``zarr.json`` (zarr-python finds no
array there) and a journal beside it (:mod:`ooarray.store.journal`): the array's metadata and
a CRC-32C of every chunk file written. ``zarr.json`` is written at commit, just before the
rename; ``create(..., resume=True)`` continues the partial of a stopped run instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import mmap
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import zarr
from zarr.codecs import BloscCodec, BytesCodec, ZstdCodec

from ooarray.chunks import block_region, normalize_chunks, region_shape
from ooarray.errors import DamagedChunkError
from ooarray.store import memmap as npy_files
from ooarray.store.base import Borrow, ChunkStore
from ooarray.store.blosc_into import CompressInto, compressed_bound, compressor_into
from ooarray.store.fileio import read_exact, write_all
from ooarray.store.flusher import Flusher
from ooarray.store.journal import Entry, Journal, JournalledWrites, claim
from ooarray.store.leftovers import journal_path, partial_name
from ooarray.store.termination import clean_up_on_termination

__all__ = ["ZarrStore", "default_compressor"]


def default_compressor(itemsize: int = 8) -> BloscCodec:
    """Return the codec ooarray writes with: Blosc LZ4 with byte shuffle.

    Measured on this class of machine it writes about 3x faster than zarr's default zstd
    (1.2 vs 0.4 GB/s) and still compresses; random floats barely compress with any codec.
    """
    return BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=itemsize)


#: Chunk files at least this large are flushed and dropped from the page cache as they are
#: written, when the store writes through (smaller ones would pay a flush each for little).
WRITE_THROUGH_MIN_BYTES = 1 << 20
#: Blosc's shuffle numbers, by the name zarr's codec gives them.
_BLOSC_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}

Decode = Callable[[Any, np.ndarray], Any]
Encode = Callable[[np.ndarray], bytes]
#: Record that a chunk is on disk as these bytes (the journal's entry).
Record = Callable[[tuple[int, ...], Any], None]
#: Blosc's header: version, codec version, flags, typesize, then nbytes, blocksize and
#: cbytes as little-endian uint32 (the Blosc 1 format zarr writes).
_BLOSC_HEADER_BYTES = 16


@contextlib.contextmanager
def _lend(nbytes: int) -> Iterator[np.ndarray]:
    """A scratch buffer when the caller has no pool to borrow from."""
    yield np.empty(nbytes, np.uint8)


def _blosc_decode(data: Any, out: np.ndarray) -> None:
    """Decompress a Blosc chunk into ``out`` after checking its header against the sizes: Blosc
    reads its header from the buffer's address whatever its length, so an emptied or
    truncated chunk would decode whatever bytes the reused buffer held before."""
    header = bytes(memoryview(data)[:_BLOSC_HEADER_BYTES])
    if len(header) < _BLOSC_HEADER_BYTES:
        raise ValueError(f"{len(memoryview(data))} bytes, shorter than a Blosc header")
    nbytes, _, cbytes = np.frombuffer(header[4:], "<u4")
    if nbytes != out.nbytes or cbytes != len(memoryview(data)):
        raise ValueError(f"the Blosc header says {nbytes} bytes compressed to {cbytes}; the "
                         f"chunk is {out.nbytes} bytes and the file {len(memoryview(data))}")
    numcodecs.blosc.decompress(data, out)


def _codecs(codec: object) -> tuple[Decode, Encode, CompressInto | None] | None:
    """Return (decode into a buffer, encode, encode into a buffer or None) for a codec
    ooarray applies itself, or None.

    The encoders are numcodecs' own, configured as zarr configures them, so the chunk files
    are the ones zarr would write (Blosc into a buffer writes the same bytes).
    """
    if isinstance(codec, BloscCodec):
        shuffle = _BLOSC_SHUFFLE[codec.shuffle.value]
        blosc = numcodecs.Blosc(cname=codec.cname.value, clevel=codec.clevel,
                                shuffle=shuffle, blocksize=codec.blocksize,
                                typesize=codec.typesize)
        into = compressor_into(codec.cname.value, codec.clevel, shuffle, codec.typesize,
                               codec.blocksize)
        return _blosc_decode, blosc.encode, into
    if isinstance(codec, ZstdCodec) and not codec.checksum:
        zstd = numcodecs.Zstd(level=codec.level)
        return (lambda data, out: zstd.decode(data, out=out)), zstd.encode, None
    return None


def _close_mapping(mapping: mmap.mmap) -> None:
    """Unmap ``mapping`` now, or when the last view of it dies (a traceback may hold one)."""
    try:
        mapping.close()
    except BufferError:
        pass


@dataclasses.dataclass
class _ChunkFiles:
    """The chunk files of a local Zarr v3 array, read and written without zarr's general path.

    zarr's own read allocates a fresh array per chunk and its write goes through its event
    loop and copies; here a chunk is decoded straight into the pool's buffer, and encoded
    with numcodecs into one file. Edge chunks (stored padded) are left to zarr.

    A chunk file of at least :data:`~ooarray.store.memmap.MAP_MIN_BYTES` is decoded from a
    read-only mapping of it (unless :data:`~ooarray.store.memmap.MAP_CHUNKS` is off): the
    copy into a buffer was 14 % of the CPU time of an elementwise chain over Zarr here. The
    trade-off is the ``.npy`` one: a file truncated in place while it is decoded ends the
    process with SIGBUS, where a read would have raised.
    """

    directory: Path
    encoding: Any
    chunk_shape: tuple[int, ...]
    fill: Any
    decode: Decode | None
    encode: Encode | None
    encode_into: CompressInto | None = None
    write_through: bool = False
    #: Where written-through files are flushed (None: by the writing thread itself).
    flusher: Flusher | None = None
    made: set[Path] = dataclasses.field(default_factory=set)

    def path(self, index: tuple[int, ...]) -> Path:
        return self.directory / self.encoding.encode_chunk_key(tuple(index))

    def read(self, index: tuple[int, ...], out: np.ndarray, borrow) -> bool:
        """Decode chunk ``index`` into ``out``; False if it is an edge chunk (or ``out`` is
        not contiguous)."""
        if out.shape != self.chunk_shape or not out.flags.c_contiguous:
            return False
        name = str(self.path(index))
        try:
            with open(name, "rb", buffering=0) as handle:
                size = os.fstat(handle.fileno()).st_size
                if self.decode is None:
                    if size != out.nbytes:
                        raise DamagedChunkError(
                            f"{name}: chunk {tuple(index)} holds {size} bytes where "
                            f"{out.nbytes} were expected (a truncated or damaged file)")
                    read_exact(handle.fileno(), memoryview(out.reshape(-1)), 0, name)
                    return True
                if npy_files.MAP_CHUNKS and size >= max(1, npy_files.MAP_MIN_BYTES):
                    mapping = mmap.mmap(handle.fileno(), size, flags=mmap.MAP_SHARED | getattr(
                        mmap, "MAP_POPULATE", 0), prot=mmap.PROT_READ)
                    try:
                        self._decode(name, index, mapping, out)
                    finally:
                        _close_mapping(mapping)
                    return True
                # At least a chunk's size, so every buffer of this read path has one size
                # class and the pool reuses them all.
                with (borrow or _lend)(max(size, out.nbytes)) as encoded:
                    read_exact(handle.fileno(), memoryview(encoded)[:size], 0, name)
                    self._decode(name, index, encoded[:size], out)
        except FileNotFoundError:
            out.fill(self.fill)  # a missing chunk is its fill value, as Zarr defines
        return True

    def _decode(self, name: str, index: tuple[int, ...], encoded: Any,
                out: np.ndarray) -> None:
        try:
            self.decode(encoded, out)
        except Exception as error:
            raise DamagedChunkError(
                f"{name}: chunk {tuple(index)} cannot be decoded "
                f"({type(error).__name__}: {error})") from error

    def write(self, index: tuple[int, ...], data: np.ndarray, record: Record,
              borrow: Borrow | None = None) -> bool:
        """Encode ``data`` into chunk ``index``'s file and ``record`` the bytes written;
        False if it is an edge chunk.

        With ``borrow`` (a pool's :meth:`~ooarray.buffer.manager.BufferManager.borrow`), a
        Blosc chunk is encoded into a borrowed buffer instead of a new ``bytes`` object.
        """
        if data.shape != self.chunk_shape:
            return False
        contiguous = np.ascontiguousarray(data)
        if self.encode is None:
            self._write_file(index, contiguous.reshape(-1).view(np.uint8), record)
        elif self.encode_into is None or borrow is None:
            self._write_file(index, self.encode(contiguous), record)
        else:
            with borrow(compressed_bound(contiguous.nbytes)) as encoded:
                written = self.encode_into(contiguous, encoded)
                self._write_file(index, encoded[:written], record)
        return True

    def _write_file(self, index: tuple[int, ...], payload: Any, record: Record) -> None:
        name = self.path(index)
        if name.parent not in self.made:
            name.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(name.parent)
        with open(name, "wb", buffering=0) as handle:
            write_all(handle.fileno(), memoryview(payload), None, str(name))
            if self.write_through and memoryview(payload).nbytes >= WRITE_THROUGH_MIN_BYTES:
                # Written pages stay in the page cache until the kernel writes them back:
                # flushed now they can be dropped, and the cache keeps the inputs' chunks.
                # (On a virtual machine, page-cache pages that are new to the guest also cost
                # ~2 s of system time per GiB; dropped ones are reused for the next chunk.)
                if self.flusher is not None:
                    self.flusher.submit(os.dup(handle.fileno()), str(name))
                else:
                    os.fdatasync(handle.fileno())
                    os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        record(index, payload)


class ZarrStore(JournalledWrites, ChunkStore):
    """A Zarr v3 array as a chunk store.

    Parameters
    ----------
    array : zarr.Array
        The array to read (and write).
    final_path : str, optional
        Where the array becomes visible on :meth:`commit`, when it is being written to a
        temporary directory.
    temp_path : str, optional
        That directory.
    write_through : bool
        Flush written chunks and drop them from the page cache (on a thread of its own,
        :class:`~ooarray.store.flusher.Flusher`; :meth:`commit` waits for it).
    journal : Journal, optional
        Where each chunk written is recorded (a store being written).
    metadata : dict, optional
        The ``zarr.json`` that :meth:`commit` writes (a store being written).
    """

    def __init__(self, array: zarr.Array, final_path: str | None = None,
                 temp_path: str | None = None, write_through: bool = False,
                 journal: Journal | None = None,
                 metadata: dict[str, Any] | None = None) -> None:
        self.array = array
        self._journal, self._metadata = journal, metadata
        self.write_through = write_through
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)
        chunk_shape = tuple(array.chunks)
        self.chunks = normalize_chunks(chunk_shape, self.shape, self.dtype.itemsize)
        self._final_path, self._temp_path = final_path, temp_path
        self._flusher = Flusher() if write_through and temp_path is not None else None
        self._direct = self._chunk_files()

    @classmethod
    def open(cls, path: str | os.PathLike) -> "ZarrStore":
        """Open an existing Zarr array for reading."""
        return cls(zarr.open_array(os.fspath(path), mode="r"))

    @classmethod
    def create(cls, path: str | os.PathLike, shape: tuple[int, ...], dtype: np.dtype,
               chunk_shape: tuple[int, ...], overwrite: bool = False,
               compressor: object = "default", write_through: bool = False,
               resume: bool = False, fingerprint: str | None = None) -> "ZarrStore":
        """Start writing a Zarr array that appears at ``path`` only on :meth:`commit`.

        With ``write_through``, each chunk of at least :data:`WRITE_THROUGH_MIN_BYTES` that
        ooarray encodes itself is flushed to disk and dropped from the page cache.

        With ``resume`` (and a ``fingerprint``), the newest partial of ``path`` left by a
        stopped process whose journal records the same metadata and fingerprint is taken
        over; its chunks whose files match the journal's checksum are :attr:`done`, the others
        are written again. Without such a partial the write starts afresh.

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is false.
        """
        final = Path(path)
        if final.exists() and not overwrite:
            raise FileExistsError(f"{final} already exists; pass overwrite=True to replace it")
        clean_up_on_termination()
        temp = partial_name(final)
        compressors = (default_compressor(np.dtype(dtype).itemsize),) if compressor == "default" \
            else ((compressor,) if compressor is not None else None)
        array = zarr.create_array(
            store=str(temp), shape=shape, dtype=dtype,
            chunks=tuple(max(1, c) for c in chunk_shape), compressors=compressors,
            fill_value=0, zarr_format=3,
            # Every chunk is written: zarr's check for all-fill chunks costs 1.3-1.7 s of
            # thread time per 2 GiB written, for a saving that dense data never has.
            config={"write_empty_chunks": True},
        )
        try:
            # The partial is no array for zarr until commit writes its metadata back.
            metadata = json.loads((temp / "zarr.json").read_bytes())
            (temp / "zarr.json").unlink()
            identity = {"format": "zarr", "shape": list(shape), "dtype": np.dtype(dtype).str,
                        "nchunks": math.prod(-(-n // max(1, c)) for n, c in
                                             zip(shape, array.chunks, strict=True)),
                        "metadata": metadata, "fingerprint": fingerprint}
            claimed = claim(final, identity) if resume and fingerprint is not None else None
            if claimed is None:
                return cls(array, final_path=str(final), temp_path=str(temp),
                           write_through=write_through,
                           journal=Journal(journal_path(temp), identity), metadata=metadata)
            shutil.rmtree(temp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            journal_path(temp).unlink(missing_ok=True)
            raise
        from zarr.core.array import AsyncArray
        from zarr.storage import LocalStore, StorePath

        try:
            array = zarr.Array(AsyncArray(metadata=metadata,
                                          store_path=StorePath(LocalStore(str(claimed.path))),
                                          config={"write_empty_chunks": True}))
            store = cls(array, final_path=str(final), temp_path=str(claimed.path),
                        write_through=write_through, journal=claimed.journal,
                        metadata=metadata)
            store._verify(claimed.done)
        except BaseException:
            # Keep the partial resumable: it is renamed to this process's name, so a later
            # resume (or ``clean``) still finds it once this process has stopped.
            claimed.journal.close()
            raise
        return store

    def _chunk_path(self, index: tuple[int, ...]) -> Path:
        root = Path(self.array.store.root) / self.array.path
        return root / self.array.metadata.chunk_key_encoding.encode_chunk_key(tuple(index))

    def _verify(self, listed: dict[tuple[int, ...], Entry]) -> None:
        """Mark done the chunks the journal lists whose files still hold the bytes it
        recorded (a chunk that fails is written again)."""
        done = set()
        buffer = np.empty(0, np.uint8)  # one buffer for every chunk: new memory costs here
        for index, (crc, nbytes) in listed.items():
            name = str(self._chunk_path(index))
            try:
                fd = os.open(name, os.O_RDONLY)
            except OSError:  # missing (or not a file): written again
                continue
            try:
                if os.fstat(fd).st_size != nbytes:
                    continue
                if buffer.nbytes < nbytes:
                    buffer = np.empty(nbytes, np.uint8)
                view = memoryview(buffer)[:nbytes]
                read_exact(fd, view, 0, name)
            except OSError:
                continue
            finally:
                os.close(fd)
            if self._journal.checksum(view) == crc:
                done.add(index)
        self.done = frozenset(done)

    # A pickled store (a plan sent to a cluster's worker) finds its chunk files again there;
    # a copy of a store being written records its chunks for the owner (take_written).
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        # A copy in another process flushes each chunk itself before its task reports done.
        state["_direct"], state["_flusher"] = None, None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._direct = self._chunk_files()


    @property
    def description(self) -> str:
        return f"zarr {self._final_path or getattr(self.array.store, 'root', self.array.store)}"

    def _chunk_files(self) -> "_ChunkFiles | None":
        """Return the array's chunk files if ooarray can read and write them itself: a local
        Zarr v3 array of little-endian bytes, then Blosc, Zstd (no checksum) or nothing."""
        store = self.array.store
        meta = self.array.metadata
        root = getattr(store, "root", None)
        if root is None or getattr(meta, "zarr_format", 2) != 3 or self.dtype.hasobject \
                or sys.byteorder != "little":
            return None
        codecs = list(getattr(meta, "codecs", ()))
        if not codecs or not isinstance(codecs[0], BytesCodec):
            return None
        endian = getattr(codecs[0], "endian", None)
        if self.dtype.itemsize > 1 and endian is not None and endian.value != "little":
            return None
        rest = codecs[1:]
        if len(rest) > 1:
            return None
        found = _codecs(rest[0]) if rest else (None, None, None)
        if found is None:
            return None
        return _ChunkFiles(Path(root) / self.array.path, meta.chunk_key_encoding,
                           tuple(self.array.chunks), self.array.fill_value, *found,
                           write_through=self.write_through and hasattr(os, "posix_fadvise"),
                           flusher=self._flusher)

    def _chunk_bytes(self) -> int:
        return int(np.prod(self.array.chunks)) * self.dtype.itemsize

    def read_scratch_bytes(self) -> int:
        # The direct path holds the compressed chunk (read or mapped) while it decodes;
        # zarr's own path also holds a decoded copy.
        return (1 if self._direct is not None else 2) * self._chunk_bytes()

    def write_scratch_bytes(self) -> int:
        # zarr copies the chunk into its own buffer and then holds the encoded bytes (the
        # direct path holds the encoded bytes only, borrowed within this charge).
        return 2 * self._chunk_bytes()

    def read_scratch_outside_pool(self) -> int:
        # zarr's own path (edge chunks, other layouts) allocates its decoded copy itself.
        return self._chunk_bytes() if self._direct is None or self._has_edges() else 0

    def _has_edges(self) -> bool:
        return any(n % c for n, c in zip(self.shape, self.array.chunks) if c)

    def read_chunk(self, index: tuple[int, ...], out: np.ndarray,
                   borrow: Borrow | None = None) -> None:
        if self._direct is not None and self._direct.read(index, out, borrow):
            return
        out[...] = self.array[block_region(self.chunks, index)]

    def write_chunk(self, index: tuple[int, ...], data: np.ndarray,
                    borrow: Borrow | None = None) -> None:
        region = block_region(self.chunks, index)
        if region_shape(region) != data.shape:
            raise ValueError(f"chunk {index} has shape {region_shape(region)}, got {data.shape}")
        if self._direct is not None and data.dtype == self.dtype and \
                self._direct.write(index, data, self._record, borrow):
            return
        self.array[region] = data
        if self._journal is not None:  # zarr wrote the file: its bytes are what is recorded
            self._record(index, self._chunk_path(index).read_bytes())

    def commit(self) -> None:
        if self._temp_path is None:
            return
        if self._flusher is not None:  # every chunk on disk (or its error) before the rename
            self._flusher.wait()
            self._flusher.close()
            self._flusher = None
        final = Path(self._final_path)
        if self._metadata is not None:  # the partial becomes an array just before its rename
            temp = Path(self._temp_path)
            with open(temp / ".zarr.json.tmp", "w") as handle:
                json.dump(self._metadata, handle, indent=2)
            os.replace(temp / ".zarr.json.tmp", temp / "zarr.json")
        old = None
        if final.exists():
            old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
            final.rename(old)
        os.replace(self._temp_path, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self._drop_journal()
        self.array = zarr.open_array(str(final), mode="r")
        self._temp_path = None
        self._direct = self._chunk_files()

    def abort(self) -> None:
        if self._flusher is not None:
            self._flusher.close()
            self._flusher = None
        if self._temp_path is not None:
            shutil.rmtree(self._temp_path, ignore_errors=True)
            self._temp_path = None
        self._drop_journal()

    def source_identity(self) -> object:
        """What :func:`ooarray.plan.fingerprint.fingerprint` records of an input store: its
        real path and the size, time and inode of its directory and ``zarr.json`` (None for a
        remote store: the plan is then not fingerprinted)."""
        root = getattr(self.array.store, "root", None)
        if root is None:
            return None  # a remote store: no cheap sign of a change
        where = Path(root) / self.array.path
        marks = []
        for name in (where, where / "zarr.json", where / ".zarray"):
            try:
                info = name.stat()
                marks.append((info.st_ino, info.st_size, info.st_mtime_ns))
            except FileNotFoundError:
                marks.append(None)
        return ("zarr", os.path.realpath(where), marks)
