"""Each rendered project's own test suite passes, against a non-editable install of the project:
by default for a covering set of variants (every pair of option values at least once), for every
valid variant with --all-variants; its slow, multi-process tests (resume after SIGKILL, SLURM
requeue, DDP, export, serve over HTTP, the README's snippets) for one variant of each task."""

from __future__ import annotations

from pathlib import Path

import pytest

from .rendered import install, run_suite


def bake_and_run(cookies, variant: dict[str, str], tmp_path: Path, *pytest_args: str) -> None:
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    python = install(result.project_path, tmp_path)
    run_suite(python, result.project_path, tmp_path / "home", *pytest_args)


@pytest.mark.rendered_suite
def test_rendered_suite_passes(cookies, suite_variant: dict[str, str], tmp_path: Path) -> None:
    bake_and_run(cookies, suite_variant, tmp_path)


@pytest.mark.rendered_suite
def test_rendered_slow_tests_pass(cookies, task_variant: dict[str, str], tmp_path: Path) -> None:
    bake_and_run(cookies, task_variant, tmp_path, "-m", "slow")
