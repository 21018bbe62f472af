"""Configuration: memory sizes, validation, the context manager."""

import pytest

import ooarray as oa
from ooarray.config import parse_bytes


@pytest.mark.parametrize("text, expected", [
    ("64MB", 64 * 10**6), ("1GiB", 2**30), ("1.5 GB", 1_500_000_000), ("512kib", 512 * 1024),
    (4096, 4096), ("100", 100),
])
def test_parse_bytes(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("bad", ["lots", "-1GB", "1 parsec", 0, -5, None, True, [1]])
def test_malformed_memory_limit_is_value_error_listing_forms(bad):
    with pytest.raises(ValueError, match="512MB"):
        oa.config.set(memory_limit=bad)


def test_set_as_context_manager_restores():
    before = oa.config.get()
    with oa.config.set(memory_limit="10MB", policy="lru", executor="sync", num_threads=1):
        now = oa.config.get()
        assert (now.memory_limit, now.policy, now.executor, now.num_threads) == \
            (10**7, "lru", "sync", 1)
    assert oa.config.get() == before


@pytest.mark.parametrize("setting", [{"policy": "fifo"}, {"executor": "gpu"},
                                     {"num_threads": 0}])
def test_bad_choices_are_value_errors(setting):
    with pytest.raises(ValueError, match="must be"):
        oa.config.set(**setting)


def test_unknown_setting_is_type_error():
    with pytest.raises(TypeError, match="unknown ooarray setting"):
        oa.config.set(memry_limit="1GB")


def test_default_budget_is_a_fraction_of_available_memory():
    import psutil

    from ooarray.config import Config
    available = psutil.virtual_memory().available
    assert 0 < Config().memory_limit <= available
