"""Each rendered project's own test suite passes, against a non-editable install of the project:
by default for a covering set of variants (every pair of option values at least once), for every
valid variant with --all-variants; its slow, multi-process tests (resume after SIGKILL, SLURM
requeue, DDP, sweep workers, export, serve over HTTP, the README's snippets) and the tests of its checkpoint as a
deployed model, which depend on the task alone, for one variant of each task. The slow tests that
kill a run and resume it depend on the logger too: they run for every logger value, those that the
task variants lack with the suite of one covering variant each."""

from __future__ import annotations

from pathlib import Path

import pytest

from .rendered import install, run_suite
from .variants import (
    KILL_MARKER,
    TEMPLATE_CONTEXT,
    covering_variants,
    default_answers,
    kill_variants,
    one_variant_per_task,
    own_test_files,
    valid_variants,
)

# Slow tests of the machinery every task shares (nothing of the task's own code takes part): they
# run with the first task's slow tests only.
SHARED_MACHINERY_TESTS = (
    "test_the_command_runs_from_any_folder_with_its_packaged_configs",
    "test_a_failure_of_one_process_ends_the_whole_job",
    "test_slurm_requeue_checkpoints_requeues_and_the_requeued_job_goes_on",
    "test_failed_and_pruned_trials_are_recorded_and_the_study_goes_on",
    "test_two_workers_share_one_study",
    "test_a_sweep_killed_mid_trial_goes_on_when_started_again",
)

# Quick tests of the machinery every task shares that train more than the session's run (a repeat
# over two seeds): they run in the suites of the first task's variants only.
SHARED_QUICK_TESTS = ("test_a_repeat_fits_each_seed_once_goes_on_where_it_stopped_and_gives_the_spread",)


def bake_and_run(cookies, variant: dict[str, str], tmp_path: Path, *pytest_args: str) -> None:
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    python = install(result.project_path, tmp_path)
    # In one process: this suite runs beside others (`pytest -n 2` here). The suite of
    # test_floor_versions.py runs on the rendered project's own `-n auto`.
    run_suite(python, result.project_path, tmp_path / "home", "-n", "0", *pytest_args)


# The options whose folders bring the task's own tests: they test the task's code, whatever the split
# and the logger, and run in one suite of each task (the first covering variant of the task).
TASK_OPTIONS = ("task_type", "capability")


@pytest.mark.rendered_suite
def test_rendered_suite_passes(cookies, suite_variant: dict[str, str], tmp_path: Path) -> None:
    selection = ["-m", "not slow and not gpu and not deploy"]
    if suite_variant in kill_variants():
        selection[1] = f"({selection[1]}) or {KILL_MARKER}"
    if suite_variant["task_type"] != TEMPLATE_CONTEXT["task_type"][0]:
        selection += ["-k", f"not ({' or '.join(SHARED_QUICK_TESTS)})"]
    if suite_variant not in one_variant_per_task(covering_variants(valid_variants())):
        answers = default_answers(**suite_variant)
        selection += [f"--ignore={path}" for path in own_test_files(answers, TASK_OPTIONS)]
    bake_and_run(cookies, suite_variant, tmp_path, *selection)


@pytest.mark.rendered_suite
def test_rendered_slow_and_deployment_tests_pass(cookies, task_variant: dict[str, str], tmp_path: Path) -> None:
    selection = ["-m", "slow or deploy"]
    if task_variant["task_type"] != TEMPLATE_CONTEXT["task_type"][0]:
        selection += ["-k", f"not ({' or '.join(SHARED_MACHINERY_TESTS)})"]
    bake_and_run(cookies, task_variant, tmp_path, *selection)


def test_every_logger_value_runs_the_kill_tests_in_one_suite() -> None:
    """Once: with the slow tests of the task variants (which give each task its first logger value),
    or in the suite of one of kill_variants."""
    loggers = {variant["logger"] for variant in one_variant_per_task(valid_variants())}
    loggers = [*loggers, *(variant["logger"] for variant in kill_variants())]
    assert sorted(loggers) == sorted(TEMPLATE_CONTEXT["logger"])
