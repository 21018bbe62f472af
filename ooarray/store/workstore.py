"""The work store: intermediate chunks of one computation on a cluster, in a directory that
every worker shares.

On one machine an intermediate chunk (a reduction's partials, a sort's pieces, a matmul's
panels) lives in the buffer pool and goes to disk only when it must leave memory. On a
cluster the task that reads it may run in another process, so each one is written here when
it is made (:class:`ooarray.buffer.manager.BufferManager` writes through to a spill store
that says it is ``shared``), under a name that its key gives in every process.

A chunk file appears whole or not at all (written under a temporary name, then renamed), so a
task that is run twice (a worker lost, a speculative copy) writes the same bytes again and a
reader never sees half a chunk. Nothing is deleted chunk by chunk: another worker may still
read it. The process that started the computation removes the whole directory when it ends.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Hashable

import numpy as np

from ooarray.errors import DamagedChunkError
from ooarray.store.fileio import read_exact, write_all
from ooarray.store.leftovers import temporary_prefix

__all__ = ["WorkStore"]


class WorkStore:
    """Raw chunk files of one computation, named by chunk key, in ``directory``.

    Parameters
    ----------
    directory : str
        A directory on storage every worker reads and writes (made if missing).
    """

    #: The buffer pool writes every intermediate through to a shared store.
    shared = True

    def __init__(self, directory: str) -> None:
        self.directory = os.fspath(directory)

    @classmethod
    def create(cls, parent: str) -> WorkStore:
        """Make a new, private directory under ``parent`` for one computation."""
        os.makedirs(parent, exist_ok=True)
        name = f"{temporary_prefix('work')}{uuid.uuid4().hex[:12]}"
        path = os.path.join(os.fspath(parent), name)
        os.mkdir(path)
        return cls(path)

    def _name(self, key: Hashable) -> str:
        node, block = key
        return os.path.join(self.directory, f"{node}-{'.'.join(map(str, block))}")

    def write(self, key: Hashable, data: np.ndarray) -> None:
        """Write chunk ``key``; it appears only once every byte is written (OSError when
        the disk is full, and then nothing is left for the key)."""
        name = self._name(key)
        temporary = f"{name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(temporary, "wb", buffering=0) as handle:
                if data.nbytes:
                    write_all(handle.fileno(), memoryview(np.ascontiguousarray(data)), None,
                              temporary)
            os.replace(temporary, name)
        except BaseException:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            raise

    def read(self, key: Hashable, out: np.ndarray) -> None:
        """Fill ``out`` with chunk ``key``.

        Raises
        ------
        DamagedChunkError
            If the file does not hold exactly ``out``'s bytes.
        """
        name = self._name(key)
        with open(name, "rb", buffering=0) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size != out.nbytes:
                raise DamagedChunkError(f"{name}: intermediate chunk {key} holds {size} bytes "
                                        f"where {out.nbytes} were expected")
            if out.nbytes:
                read_exact(handle.fileno(), memoryview(out.reshape(-1)).cast("B"), 0, name)

    def __contains__(self, key: Hashable) -> bool:
        return os.path.exists(self._name(key))

    def delete(self, key: Hashable) -> None:
        """Keep the chunk: another process may still read it (see :meth:`remove`)."""

    def close(self) -> None:
        """Nothing to release in this process."""

    def remove(self) -> None:
        """Delete the directory and every chunk in it (the computation has ended)."""
        shutil.rmtree(self.directory, ignore_errors=True)
