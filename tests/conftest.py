"""Parametrize the template's tests over its variants, with readable ids."""

from __future__ import annotations

import pytest

from .variants import covering_variants, one_variant_per_task, valid_variants, variant_id


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
        metafunc.parametrize("task_variant", one_variant_per_task(valid_variants()), ids=variant_id)
