"""Parametrize the template's tests over its variants, with readable ids."""

from __future__ import annotations

import pytest

from .variants import covering_variants, slow_suite_variants, valid_variants, variant_id


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all-variants",
        action="store_true",
        help="run the rendered test suite of every valid variant, not only a covering set",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    variants = valid_variants()
    if "variant" in metafunc.fixturenames:
        metafunc.parametrize("variant", variants, ids=variant_id)
    if "suite_variant" in metafunc.fixturenames:
        if not metafunc.config.getoption("--all-variants"):
            variants = covering_variants(variants)
        metafunc.parametrize("suite_variant", variants, ids=variant_id)
    if "task_variant" in metafunc.fixturenames:
        metafunc.parametrize("task_variant", slow_suite_variants(), ids=variant_id)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the rendered suites, the longest first, before the many short tests: with the workers
    of `pytest -n 2` taking each other's tests (`--dist worksteal`), they finish at about the same time."""
    items.sort(key=lambda item: (not item.get_closest_marker("rendered_suite"), "slow" not in item.name))
