"""Run xarray's duck-array suite (``xarray.tests.test_duck_array_wrapping``) against ooarray.

As a pytest plugin, over xarray's own test module::

    python -m pytest -p ooarray.interop.xarray_testing \
        --pyargs xarray.tests.test_duck_array_wrapping

or from a test file of ours, which collects the classes :func:`duck_array_test_classes`
returns (``tests/test_xarray.py`` does, so ``python -m pytest`` runs the suite). Either way the
suite's namespaces are replaced by ooarray's alone (``ooarray.OOArray`` built with
``ooarray.asarray``), and the tests listed in :data:`XFAILS` are expected to fail, each for the
reason given (docs/xarray.md explains them).
"""

from __future__ import annotations

from typing import Any

__all__ = ["NAMESPACE", "XFAILS", "configure_suite", "duck_array_test_classes",
           "pytest_configure"]

NAMESPACE = "ooarray"

#: Tests of xarray's suite that fail with ooarray, and why. Keys are the xarray method name,
#: or ``name[skipna]`` for one parametrisation. A listed test still runs: if it fails it is
#: reported as xfail with the reason, if it passes it passes (the entry is then stale).
#: Empty: the namespace offers NumPy's names that xarray calls on it
#: (:mod:`ooarray.array_api._numpy_names`), so only xarray's own xfails remain.
XFAILS: dict[str, str] = {}


def _expect_failure(test: Any, name: str) -> Any:
    """Wrap a test method: a failure listed in XFAILS becomes an xfail with its reason."""
    import functools

    import pytest

    @functools.wraps(test)
    def run(self: Any, *args: Any, **kwargs: Any) -> None:
        key = f"{name}[{kwargs['skipna']}]" if "skipna" in kwargs else name
        reason = XFAILS.get(key, XFAILS.get(name))
        if reason is None:
            return test(self, *args, **kwargs)
        try:
            test(self, *args, **kwargs)
        except Exception as error:  # noqa: BLE001 -- the listed failure, of any type
            pytest.xfail(f"{reason} ({type(error).__name__}: {str(error)[:120]})")

    run._ooarray_wrapped = True  # type: ignore[attr-defined]
    return run


def configure_suite() -> Any:
    """Point xarray's duck-array suite at ooarray alone; return the suite's module."""
    import pytest
    from xarray.tests import test_duck_array_wrapping as suite

    from ooarray.interop.xarray import ensure_registered

    ensure_registered()
    suite.NAMESPACE_ARRAYS[NAMESPACE] = {
        "attrs": {"array": "OOArray", "constructor": "asarray"},
        "xfails": {},  # ours run, and fail as xfail (_expect_failure), so XPASS shows
    }
    for cls in (suite.TestTopLevelMethods, suite.TestDataArrayMethods):
        for attribute, test in list(vars(cls).items()):
            if attribute.startswith("test_") and not getattr(test, "_ooarray_wrapped", False):
                setattr(cls, attribute, _expect_failure(test, attribute.removeprefix("test_")))
    # The classes' parametrize marks hold this very list: replace its items in place.
    suite.NAMESPACES[:] = [pytest.param(NAMESPACE)]
    return suite


def duck_array_test_classes() -> tuple[type, type]:
    """Return xarray's two test classes, configured for ooarray."""
    suite = configure_suite()
    return suite.TestTopLevelMethods, suite.TestDataArrayMethods


def pytest_configure(config: Any) -> None:
    """pytest hook: configure the suite before xarray's test module is collected."""
    configure_suite()
