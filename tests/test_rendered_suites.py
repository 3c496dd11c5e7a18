"""Each rendered project's own test suite passes, against a non-editable install of the project.

By default for a covering set of variants, in which every pair of option values is at least once:
every quick test runs with every value of every option (the suites of full_suite_variants, with those
of test_floor_versions.py and test_cruft.py), and every pair of values runs one real run and the tests
that read it, with the tests its split's and logger's folders bring (the other covering variants).
With --all-variants, every valid variant runs every quick test.

The slow, multi-process tests (resume after SIGKILL, SLURM requeue, DDP, sweep workers, export, serve
over HTTP, the README's snippets) and the tests of a checkpoint as a deployed model, which depend on
the task, run for one variant of each task, each with a logger value of its own: the slow tests that
depend on the logger (a run killed and resumed, a tracking server) run with every logger value."""

from __future__ import annotations

from pathlib import Path

import pytest

from .rendered import install, run_suite
from .variants import (
    CRUFT_VARIANT,
    FLOOR_VARIANT,
    OPTION_KEYS,
    TEMPLATE_CONTEXT,
    covering_variants,
    default_answers,
    full_suite_variants,
    own_test_files,
    slow_suite_variants,
    valid_variants,
)

# Slow tests of the machinery every task shares (nothing of the task's own code takes part): they
# run with the first task's slow tests only.
SHARED_MACHINERY_TESTS = (
    "test_the_command_runs_from_any_folder_with_its_packaged_configs",
    "test_a_failure_of_one_process_ends_the_whole_job",
    "test_two_nodes_started_by_torchrun_train_as_one_job_and_resume",
    "test_failed_and_pruned_trials_are_recorded_and_the_study_goes_on",
    "test_workers_count_and_start_trials_in_turn",
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
# and the logger, and run in the suites that run every quick test.
TASK_OPTIONS = ("task_type", "capability")
# The options whose folders bring the tests of what a pair of values does together (how the task's
# samples are split, what its run records in the logger): they run in every suite.
PAIR_OPTIONS = ("split_strategy", "logger")
# The rendered conftest's marker of the tests that read the session's run: the task, the split and the
# logger of the variant at work in one real run.
SHARED_RUN_MARKER = "shared_run"


@pytest.mark.rendered_suite
def test_rendered_suite_passes(
    cookies, suite_variant: dict[str, str], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every quick test for the variants of full_suite_variants (every variant with --all-variants);
    for the other covering variants, the tests of the pairs of values they are there to cover: those
    that read the session's run and those that their split's and logger's folders bring."""
    answers = default_answers(**suite_variant)
    selection = ["-m", "not slow and not gpu and not deploy"]
    if request.config.getoption("--all-variants") or suite_variant in full_suite_variants(
        covering_variants(valid_variants())
    ):
        if suite_variant["task_type"] != TEMPLATE_CONTEXT["task_type"][0]:
            selection += ["-k", f"not ({' or '.join(SHARED_QUICK_TESTS)})"]
    else:
        selection += [f"--ignore={path}" for path in own_test_files(answers, TASK_OPTIONS)]
        # -k matches the names of markers and of test files: the marked tests and the pair options' files.
        keywords = [SHARED_RUN_MARKER, *(Path(path).name for path in own_test_files(answers, PAIR_OPTIONS))]
        selection += ["-k", " or ".join(keywords)]
    bake_and_run(cookies, suite_variant, tmp_path, *selection)


@pytest.mark.rendered_suite
def test_rendered_slow_and_deployment_tests_pass(cookies, task_variant: dict[str, str], tmp_path: Path) -> None:
    selection = ["-m", "slow or deploy"]
    if task_variant["task_type"] != TEMPLATE_CONTEXT["task_type"][0]:
        selection += ["-k", f"not ({' or '.join(SHARED_MACHINERY_TESTS)})"]
    bake_and_run(cookies, task_variant, tmp_path, *selection)


def test_every_logger_value_runs_the_slow_tests() -> None:
    assert sorted(variant["logger"] for variant in slow_suite_variants()) == sorted(TEMPLATE_CONTEXT["logger"])


def test_every_value_of_every_option_runs_every_quick_test() -> None:
    """In the suites of full_suite_variants or in those of the floor-versions and cruft tests."""
    variants = [*full_suite_variants(covering_variants(valid_variants())), FLOOR_VARIANT, CRUFT_VARIANT]
    for key in OPTION_KEYS:
        assert {variant[key] for variant in variants} == set(TEMPLATE_CONTEXT[key]), key
