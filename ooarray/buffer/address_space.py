"""Whether the process can map more memory now: the check made before calling a library
that ends the process when an allocation or a thread fails (OpenBLAS, numexpr)."""

from __future__ import annotations

import functools
import mmap

try:
    import resource
except ImportError:  # not on this platform: no address-space limit to see
    resource = None  # type: ignore[assignment]

__all__ = ["address_space_limited", "can_map", "threads_fit"]

#: Room kept beyond what is asked (the libraries' own small allocations).
SLACK_BYTES = 8 << 20


@functools.cache
def _strict_overcommit() -> bool:
    """Whether the kernel refuses maps past its commit limit (``vm.overcommit_memory=2``)."""
    try:
        with open("/proc/sys/vm/overcommit_memory") as file:
            return file.read().strip() == "2"
    except OSError:
        return False


def address_space_limited() -> bool:
    """Whether a map of a few MiB can fail before memory runs out: an address-space limit
    (``ulimit -v``, ``prlimit --as``) or strict overcommit."""
    if resource is not None:
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            return True
    return _strict_overcommit()


def can_map(nbytes: int) -> OSError | None:
    """Map and unmap ``nbytes``: None if that worked (or the address space is not limited),
    else the error of the map."""
    if not address_space_limited():
        return None
    try:
        probe = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    except OSError as error:
        return error
    probe.close()
    return None


def threads_fit(count: int) -> bool:
    """Whether ``count`` new native threads can map their stacks now (always, when the
    address space is not limited).

    For libraries that end the process when ``pthread_create`` fails: numexpr's
    ``set_num_threads`` calls ``exit(-1)`` ("ERROR; return code from pthread_create() is
    11"), and so does OpenBLAS when its thread count grows. Ask before raising either.
    """
    if count <= 0 or not address_space_limited():
        return True
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0] if resource is not None else -1
    if stack in (-1, getattr(resource, "RLIM_INFINITY", -1)) or stack <= 0:
        stack = 8 << 20  # glibc's default thread stack
    return can_map(count * stack + SLACK_BYTES) is None
