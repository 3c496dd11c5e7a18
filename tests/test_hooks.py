"""The pre-generation hook refuses what would render a broken project, with one clear
line and nothing left behind; the validity rules are data, read by the hook and the tests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .variants import TEMPLATE_CONTEXT, default_answers, load_hook, valid_variants

refusal = load_hook("pre_gen_project").refusal


def refused_bake(cookies, capfd: pytest.CaptureFixture[str], tmp_path: Path, **extra_context) -> str:
    """Bake with `extra_context`, check it failed and left nothing; return the hook's message."""
    result = cookies.bake(extra_context=extra_context)
    assert result.exit_code != 0
    assert "Hook script failed" in str(result.exception)
    # pytest-cookies renders under tmp_path/cookies/bakeNN: the refused project left no file there.
    assert not [path for path in (tmp_path / "cookies").rglob("*") if path.is_file()]
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize(
    ("package_name", "reason"),
    [
        ("1digits", "not a valid Python identifier"),
        ("digit-classifier", "not a valid Python identifier"),
        ("digit classifier", "not a valid Python identifier"),
        ("chiffres_été", "not a valid Python identifier"),
        ("class", "is a Python keyword"),
        ("match", "is a Python keyword"),
        ("torch", "would shadow"),
        ("lightning", "would shadow"),
        ("tests", "would shadow"),
        ("json", "would shadow"),
        ("onnxruntime", "would shadow"),
    ],
)
def test_bad_package_name_is_refused(cookies, capfd, tmp_path: Path, package_name: str, reason: str) -> None:
    message = refused_bake(cookies, capfd, tmp_path, package_name=package_name)
    assert f"package_name {package_name!r}" in message
    assert reason in message


@pytest.mark.parametrize(
    ("package_name", "options"),
    [
        ("pandas", {"task_type": "tabular_regression"}),
        ("tokenizers", {"task_type": "text_classification"}),
        ("kornia", {"task_type": "image_segmentation"}),
        ("PIL", {"task_type": "image_classification"}),
        ("sklearn", {}),
        ("mlflow", {"logger": "mlflow"}),
        ("wandb", {"logger": "wandb"}),
        ("tensorboard", {"logger": "tensorboard"}),
    ],
)
def test_a_package_name_the_chosen_options_import_is_refused(
    cookies, capfd, tmp_path: Path, package_name: str, options: dict[str, str]
) -> None:
    message = refused_bake(cookies, capfd, tmp_path, package_name=package_name, **options)
    assert f"package_name {package_name!r} would shadow" in message


def test_the_refused_names_come_from_the_options_requirements() -> None:
    # A name only the other options import is free: the list follows the requirements, not a hand-kept one.
    for package_name, options in (("pandas", {"task_type": "text_classification"}), ("wandb", {"logger": "csv"})):
        assert refusal(default_answers(package_name=package_name, **options)) is None
    answers = default_answers(package_name="made_up_lib")
    answers["_requirements"] = [*answers["_requirements"], "made-up-lib>=1"]
    assert "would shadow" in refusal(answers)


@pytest.mark.parametrize("slug", ["../escape", "a/b", "back\\slash", "-leading", "UPPER", "a..b"])
def test_unusable_slug_is_refused(cookies, capfd, tmp_path: Path, slug: str) -> None:
    message = refused_bake(cookies, capfd, tmp_path, project_slug=slug, package_name="fine_name")
    assert "project_slug" in message
    # Nor an empty folder: for 'a/b' cookiecutter made 'a' before the hook ran.
    deadline = time.monotonic() + 30
    while [path for path in (tmp_path / "cookies").rglob("*") if path.is_dir() and not path.name.startswith("bake")]:
        assert time.monotonic() < deadline, list((tmp_path / "cookies").rglob("*"))
        time.sleep(0.1)


def test_invalid_combination_is_refused_with_its_reason(cookies, capfd, tmp_path: Path) -> None:
    rule = {"when": {"split_strategy": ["kfold"], "logger": ["none"]}, "why": "a made-up rule for this test."}
    message = refused_bake(
        cookies, capfd, tmp_path, split_strategy="kfold", logger="none", _invalid_combinations={"made_up": rule}
    )
    assert message == "ERROR: split_strategy=kfold, logger=none cannot be combined: a made-up rule for this test."


def test_refusal_reads_the_same_rules_as_the_variant_list() -> None:
    rule = {"when": {"split_strategy": ["kfold"]}, "why": "no folds today."}
    answers = default_answers(task_type="image_classification", split_strategy="kfold", logger="csv")
    assert refusal(answers) is None
    assert (
        refusal({**answers, "_invalid_combinations": {"no_folds": rule}})
        == "split_strategy=kfold cannot be combined: no folds today."
    )
    # No rule yet excludes a combination of the options there are.
    sizes = [len(TEMPLATE_CONTEXT[key]) for key in ("task_type", "split_strategy", "logger")]
    assert len(valid_variants()) == sizes[0] * sizes[1] * sizes[2]


def test_good_names_pass() -> None:
    for package_name in ("digit_classifier", "_private", "Model2"):
        assert refusal(default_answers(package_name=package_name)) is None
