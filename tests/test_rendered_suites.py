"""Each rendered project's own test suite passes: by default for a covering set of variants
(every pair of option values at least once), for every valid variant with --all-variants;
its slow, multi-process tests (resume after SIGKILL, DDP on two processes) for one variant
of each task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The environment a fresh shell would give the suite: no variables of this test run leak in.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def run_rendered_suite(cookies, variant: dict[str, str], tmp_path: Path, *pytest_args: str) -> None:
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    home = tmp_path / "home"
    home.mkdir()
    env = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    # The project is not installed: its src/ folder on the path stands in for `pip install -e .`.
    env |= {"HOME": str(home), "PYTHONPATH": "src", "WANDB_MODE": "offline", "PYTHONDONTWRITEBYTECODE": "1"}
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *pytest_args],
        cwd=result.project_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert suite.returncode == 0, suite.stdout[-6000:] + suite.stderr[-3000:]
    assert " passed" in suite.stdout.splitlines()[-1]


@pytest.mark.rendered_suite
def test_rendered_suite_passes(cookies, suite_variant: dict[str, str], tmp_path: Path) -> None:
    run_rendered_suite(cookies, suite_variant, tmp_path)


@pytest.mark.rendered_suite
def test_rendered_slow_tests_pass(cookies, task_variant: dict[str, str], tmp_path: Path) -> None:
    run_rendered_suite(cookies, task_variant, tmp_path, "-m", "slow")
