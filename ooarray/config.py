"""Run-time configuration: memory budget, eviction policy, executor, threads, spill directory.

``ooarray.config.set(...)`` changes the settings for the rest of the program and can also be
used as a context manager, which changes them for its block, in its thread only, and
restores them exactly on exit::

    oa.config.set(memory_limit="1GB")
    with oa.config.set(policy="lru", executor="sync"):
        ...
"""

from __future__ import annotations

import builtins
import contextvars
import dataclasses
import os
import re
import tempfile
import threading
from typing import Any

import psutil

__all__ = ["Config", "get", "set", "parse_bytes"]

#: Share of the memory available at first use that the default budget takes.
DEFAULT_MEMORY_FRACTION = 0.5
POLICIES = ("belady", "lru")
EXECUTORS = ("threads", "sync", "dask")

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}
_BYTES_FORMS = "an int number of bytes or a string such as '512MB', '1.5GB', '256MiB', '2GiB'"


def parse_bytes(value: int | float | str) -> int:
    """Return a byte count given as an int or a string with a unit.

    Parameters
    ----------
    value : int, float or str
        ``1_000_000``, ``"512MB"`` (10**6 bytes each), ``"256MiB"`` (2**20 bytes each).

    Returns
    -------
    int
        The number of bytes.

    Raises
    ------
    ValueError
        If ``value`` is not positive or not one of the accepted forms.

    Examples
    --------
    >>> parse_bytes("64MB"), parse_bytes("1GiB"), parse_bytes(4096)
    (64000000, 1073741824, 4096)
    """
    if isinstance(value, bool):
        raise ValueError(f"memory size must be {_BYTES_FORMS}; got {value!r}")
    if isinstance(value, (int, float)):
        nbytes = value
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*", value)
        if match is None or match.group(2).lower() not in _UNITS:
            raise ValueError(f"memory size must be {_BYTES_FORMS}; got {value!r}")
        nbytes = float(match.group(1)) * _UNITS[match.group(2).lower()]
    else:
        raise ValueError(f"memory size must be {_BYTES_FORMS}; got {value!r}")
    if not nbytes > 0:
        raise ValueError(f"memory size must be positive, {_BYTES_FORMS}; got {value!r}")
    return int(nbytes)


def _progress(value: Any) -> bool | str:
    if isinstance(value, str) and value == "auto":
        return "auto"
    if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    raise ValueError(f"progress must be True, False or 'auto'; got {value!r}")


def _env_chunk_bytes() -> int | None:
    value = os.environ.get("OOARRAY_CHUNK_BYTES")
    return parse_bytes(value) if value else None


def _default_memory_limit() -> int:
    return int(psutil.virtual_memory().available * DEFAULT_MEMORY_FRACTION)


@dataclasses.dataclass
class Config:
    """The settings in force.

    Attributes
    ----------
    memory_limit : int
        Bytes that all chunks in flight, task scratch and cached chunks may take together.
    policy : {"belady", "lru"}
        Which chunk the buffer manager evicts when it needs room.
    executor : {"threads", "sync", "dask"}
        ``threads`` runs chunk tasks on a thread pool; ``sync`` runs them one by one, in order;
        ``dask`` runs them on a ``dask.distributed`` cluster (the current client's, or that of
        :attr:`cluster`). Setting ``executor`` to a ``distributed.Client`` or to a scheduler
        address (``"tcp://host:8786"``) sets ``"dask"`` and :attr:`cluster`.
    num_threads : int
        Task threads of the ``threads`` executor; numexpr and BLAS get the remaining cores.
    spill_dir : str
        Where intermediates that must leave memory are written; removed after each computation.
    progress : bool or "auto"
        A tqdm progress bar over each computation's tasks. ``"auto"`` (the default) shows
        it for computations that run longer than a second
        (:data:`~ooarray.execute.callbacks.AUTO_MINIMUM_SECONDS`), and only when the output
        is interactive: standard error is a terminal, or the code runs in a Jupyter kernel.
        ``True`` shows it for every computation of more than one task, wherever the output
        goes, and warns when tqdm is not installed; ``False`` never shows it.
    chunk_bytes : int or None
        Size that ``ooarray.array_api`` creation functions aim for with automatic chunks;
        ``None`` derives it from ``memory_limit``. Tiny values (tests) make many chunks.
        Defaults to the environment variable ``OOARRAY_CHUNK_BYTES`` when it is set.
    write_through : bool or None
        Flush each chunk of at least 1 MiB that ``to_zarr`` writes to a local store to disk
        and drop it from the page cache, as databases write bulk output through a small ring
        of buffers: a result that is out of core does not push the inputs' cached chunks out
        of the page cache (its chunks are read back from disk). ``None`` (the default) writes
        through the results larger than ``memory_limit``.
    eager_bytes : int
        An operation whose OOArray operands are in memory and whose operands and result
        fit in this many bytes (and in a sixteenth of ``memory_limit``) runs at once with
        NumPy instead of building a plan (small arrays at NumPy's pace); 0 plans everything.
    cluster : distributed.Client, str or None
        For ``executor="dask"``: the client, or the scheduler's address; None for the
        current client. On a cluster, ``memory_limit`` bounds each worker's buffer pool.
    work_dir : str or None
        For ``executor="dask"``: where intermediates go, on storage every worker shares;
        None for ``spill_dir`` (which checkpoints use, so it must be shared too).
    """

    memory_limit: int = dataclasses.field(default_factory=_default_memory_limit)
    policy: str = "belady"
    executor: str = "threads"
    num_threads: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)
    spill_dir: str = dataclasses.field(default_factory=tempfile.gettempdir)
    progress: bool | str = "auto"
    chunk_bytes: int | None = dataclasses.field(default_factory=_env_chunk_bytes)
    write_through: bool | None = None
    eager_bytes: int = 16 * 2**20
    cluster: Any = None
    work_dir: str | None = None

    def validated(self, **changes: Any) -> Config:
        """Return a copy with ``changes`` applied, after checking each value."""
        unknown = sorted(builtins.set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(
                f"unknown ooarray setting(s) {unknown}; the settings are "
                f"{[f.name for f in dataclasses.fields(self)]}"
            )
        if "memory_limit" in changes:
            changes["memory_limit"] = parse_bytes(changes["memory_limit"])
        if "policy" in changes and changes["policy"] not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}; got {changes['policy']!r}")
        if "executor" in changes:
            executor = changes["executor"]
            if isinstance(executor, str) and "://" in executor:  # a scheduler's address
                changes["executor"], changes["cluster"] = "dask", executor
            elif not isinstance(executor, str) and hasattr(executor, "scheduler_info"):
                changes["executor"], changes["cluster"] = "dask", executor  # a Client
            elif executor not in EXECUTORS:
                raise ValueError(f"executor must be one of {EXECUTORS}, a distributed.Client "
                                 f"or a scheduler address ('tcp://host:8786'); got "
                                 f"{executor!r}")
            elif "cluster" not in changes:
                changes["cluster"] = None
        if changes.get("work_dir") is not None:
            changes["work_dir"] = os.fspath(changes["work_dir"])
        if "num_threads" in changes:
            n = changes["num_threads"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"num_threads must be an int >= 1; got {n!r}")
        if "spill_dir" in changes:
            changes["spill_dir"] = os.fspath(changes["spill_dir"])
        if "progress" in changes:
            changes["progress"] = _progress(changes["progress"])
        if changes.get("write_through") is not None:
            changes["write_through"] = bool(changes["write_through"])
        if "eager_bytes" in changes:
            value = changes["eager_bytes"]
            changes["eager_bytes"] = 0 if value == 0 else parse_bytes(value)
        if changes.get("chunk_bytes") is not None:
            changes["chunk_bytes"] = parse_bytes(changes["chunk_bytes"])
        return dataclasses.replace(self, **changes)


_lock = threading.RLock()  # reentrant: set.__del__ may run while this thread holds it
#: The process defaults: what a context that has changed nothing sees.
_defaults: Config | None = None
#: The settings of this thread or task, when changed there (``None``: the defaults).
_context: contextvars.ContextVar[Config | None] = contextvars.ContextVar(
    "ooarray_config", default=None)
#: How many ``with config.set(...)`` blocks are open in this context.
_open_blocks: contextvars.ContextVar[int] = contextvars.ContextVar(
    "ooarray_config_blocks", default=0)


def _process_defaults() -> Config:
    global _defaults
    defaults = _defaults  # read without the lock: a reference is replaced whole
    if defaults is not None:
        return defaults
    with _lock:
        if _defaults is None:
            _defaults = Config()
        return _defaults


def get() -> Config:
    """Return the settings in force in this thread (or asyncio task)."""
    current = _context.get()
    return current if current is not None else _process_defaults()


class set:  # noqa: A001 - mirrors dask.config.set
    """Change settings; as a context manager, for the ``with`` block only.

    Settings are held per thread and per asyncio task (in a :mod:`contextvars` variable,
    as NumPy holds ``np.errstate``):

    - ``with oa.config.set(...):`` changes them for the code in the block, in this thread
      only, and restores exactly what was in force before when the block ends, whatever
      other threads do meanwhile. The threads ooarray runs tasks on see the settings of the
      computation they work for.
    - ``oa.config.set(...)`` as a statement, outside any ``with oa.config.set`` block,
      changes the process defaults: the settings of this thread and of every thread that
      has not changed its own, for the rest of the program. (It takes effect in other
      threads when the returned object is dropped, which a statement does at once; keep
      the object in a variable only to use it in a ``with``.) Inside a ``with`` block, the
      statement changes the block's settings until the block ends.

    Parameters
    ----------
    **settings
        Any of ``memory_limit``, ``policy``, ``executor``, ``num_threads``, ``spill_dir``,
        ``progress``, ``chunk_bytes``, ``write_through``, ``eager_bytes``, ``cluster``,
        ``work_dir`` (see :class:`Config`).

    Raises
    ------
    ValueError
        If a value is not one of the accepted forms.
    TypeError
        If a setting name is unknown.

    Examples
    --------
    >>> import ooarray as oa
    >>> with oa.config.set(memory_limit="64MB", policy="lru"):
    ...     oa.config.get().memory_limit
    64000000
    """

    def __init__(self, **settings: Any) -> None:
        new = get().validated(**settings)
        # (an executor given as a client or an address also sets the cluster)
        names = [*settings, *(["cluster"] if "executor" in settings else [])]
        self._changes = {name: getattr(new, name) for name in names}
        self._config = new
        self._entered = False
        self._statement = _open_blocks.get() == 0
        self._token: contextvars.Token | None = _context.set(new)

    def __repr__(self) -> str:
        changes = ", ".join(f"{name}={value!r}" for name, value in self._changes.items())
        return f"ooarray.config.set({changes})"

    def __enter__(self) -> Config:
        self._entered = True
        _open_blocks.set(_open_blocks.get() + 1)
        return self._config

    def __exit__(self, *exc_info: object) -> None:
        _open_blocks.set(max(0, _open_blocks.get() - 1))
        token, self._token = self._token, None
        if token is not None:
            try:
                _context.reset(token)
            except ValueError:  # entered in one context, left in another
                _context.set(token.old_value if token.old_value is not token.MISSING
                             else None)

    def __del__(self) -> None:
        # A statement outside any with block: its changes become the process defaults, and
        # this context follows the defaults again.
        if not getattr(self, "_statement", False) or self._entered:
            return  # a with block, a statement inside one, or settings that were refused
        global _defaults
        with _lock:
            _defaults = (_defaults or Config()).validated(**self._changes)
        token, self._token = self._token, None
        if token is not None and _context.get() is self._config:
            try:
                _context.reset(token)
            except (ValueError, RuntimeError):  # dropped in another context
                pass
