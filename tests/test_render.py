"""Every valid variant renders a complete, clean project: the right files, no Jinja left,
every file parses, ruff-clean, a valid pre-commit config."""

from __future__ import annotations

import json
import py_compile
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from .variants import ROOT, TEMPLATE_CONTEXT, default_answers, load_hook, template_files, valid_variants, variant_id

PACKAGE = "digit_classifier"
TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
OPTIONS = TEMPLATE / "_options"
chosen_folders = load_hook("post_gen_project").chosen_folders
# Files that every variant must have, whatever its options, written out by hand: the project's frame, and
# what the shared code and tests import from the option folders (each task's data, model, writers and
# tiny data; each split's; each logger's).
EVERY_VARIANT_HAS = {
    ".cookiecutter.json",
    "README.md",
    "pyproject.toml",
    "src/{package}/configs/callbacks.yaml",
    "src/{package}/configs/data.yaml",
    "src/{package}/configs/logger.yaml",
    "src/{package}/configs/model.yaml",
    "src/{package}/configs/split.yaml",
    "src/{package}/configs/sweep.yaml",
    "src/{package}/configs/trainer.yaml",
    "src/{package}/data/__init__.py",
    "src/{package}/data/splits.py",
    "src/{package}/data/task.py",
    "src/{package}/plots/figure_logging.py",
    "src/{package}/models/__init__.py",
    "src/{package}/models/task.py",
    "src/{package}/checkpoint/writers.py",
    "tests/test_data.py",
    "tests/test_logger.py",
    "tests/test_model.py",
    "tests/test_splits.py",
    "tests/tiny_data.py",
}


def image_task(variant: dict[str, str]) -> bool:
    return variant["task_type"].startswith("image_")


def table_task(variant: dict[str, str]) -> bool:
    return variant["task_type"].startswith("tabular_")


def text_task(variant: dict[str, str]) -> bool:
    return variant["task_type"].startswith("text_")


# A few files that the options decide, each with the variants that have it, written out by hand (from
# the tasks' names, not from `_task_capabilities`): the rule that the expected files are derived by
# must agree with them.
SIGNPOSTS = {
    "src/{package}/data/images.py": image_task,
    "src/{package}/models/weights.py": image_task,
    "src/{package}/data/rows.py": table_task,
    "tests/tiny_table.py": table_task,
    "src/{package}/data/tokens.py": text_task,
    "src/{package}/models/finetuning.py": lambda variant: image_task(variant) or text_task(variant),
    "src/{package}/plots/class_figures.py": lambda variant: variant["task_type"].endswith("_classification"),
    "src/{package}/plots/value_figures.py": lambda variant: variant["task_type"] == "tabular_regression",
    "src/{package}/plots/mask_figures.py": lambda variant: variant["task_type"] == "image_segmentation",
    "src/{package}/training/kfold.py": lambda variant: variant["split_strategy"] == "kfold",
    "src/{package}/data/stratify.py": lambda variant: variant["split_strategy"] in ("stratified", "kfold"),
    "tests/test_cv.py": lambda variant: variant["split_strategy"] != "kfold",
    "src/{package}/training/wandb_runs.py": lambda variant: variant["logger"] == "wandb",
}

LEFTOVER_JINJA = ("{{ cookiecutter", "{{cookiecutter", "{%", "%}")

_rendered: dict[str, Path] = {}


@pytest.fixture
def project(cookies_session, variant: dict[str, str]) -> Path:
    """The variant rendered once per test session."""
    key = variant_id(variant)
    if key not in _rendered:
        result = cookies_session.bake(extra_context=variant)
        assert result.exit_code == 0, result.exception
        assert result.exception is None
        _rendered[key] = result.project_path
    return _rendered[key]


def project_files(project: Path) -> set[str]:
    return {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}


def test_renders_exactly_the_variants_files(project: Path, variant: dict[str, str]) -> None:
    """The render holds the files that the template's source tree gives the variant, each where the
    hook's rule puts it, and nothing else: none dropped, misplaced or left behind."""
    expected = template_files(default_answers(**variant))
    assert project_files(project) == expected
    assert not (project / "_options").exists()
    assert {name.format(package=PACKAGE) for name in EVERY_VARIANT_HAS} <= expected
    for name, has_it in SIGNPOSTS.items():
        assert (name.format(package=PACKAGE) in expected) == has_it(variant), name


def test_every_options_folder_belongs_to_some_variant() -> None:
    """No folder of `_options` is dead: each names only values its option has, and some valid
    variant keeps it."""
    values = {option: set(TEMPLATE_CONTEXT[option]) for option in ("task_type", "split_strategy", "logger")}
    values["capability"] = {name for names in TEMPLATE_CONTEXT["_task_capabilities"].values() for name in names}
    folders = {folder for option_dir in OPTIONS.iterdir() for folder in option_dir.iterdir()}
    for folder in folders:
        assert set(folder.name.split("+")) <= values[folder.parent.name], folder.relative_to(OPTIONS)
    kept = set().union(*(chosen_folders(OPTIONS, default_answers(**variant)) for variant in valid_variants()))
    assert kept == folders


def test_every_task_declares_its_capabilities_and_requirements() -> None:
    """Each task has its own folder, and the capabilities it names have theirs: a capability with no
    folder would silently give its tasks nothing."""
    tasks = TEMPLATE_CONTEXT["task_type"]
    capabilities = TEMPLATE_CONTEXT["_task_capabilities"]
    assert set(capabilities) == set(tasks) == set(TEMPLATE_CONTEXT["_task_requirements"])
    assert set(TEMPLATE_CONTEXT["logger"]) == set(TEMPLATE_CONTEXT["_logger_requirements"])
    for task in tasks:
        assert (OPTIONS / "task_type" / task).is_dir(), task
        assert len(set(capabilities[task])) == len(capabilities[task]), task
        for capability in capabilities[task]:
            assert (OPTIONS / "capability" / capability).is_dir(), (task, capability)


def test_leaves_no_jinja_in_names_or_contents(project: Path) -> None:
    for path in project.rglob("*"):
        assert not any(mark in path.name for mark in LEFTOVER_JINJA), path
        if path.is_file():
            text = path.read_text()
            assert not any(mark in text for mark in LEFTOVER_JINJA), path


def test_every_file_parses(project: Path) -> None:
    for path in project.rglob("*"):
        if path.suffix == ".py":
            py_compile.compile(str(path), doraise=True, cfile=str(path) + "c")
            Path(str(path) + "c").unlink()
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix in (".yaml", ".yml"):
            assert yaml.safe_load(path.read_text()) is not None, path
        elif path.suffix == ".json":
            json.loads(path.read_text())


def test_saves_the_answers_for_replay(project: Path, variant: dict[str, str]) -> None:
    answers = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert {key: answers[key] for key in variant} == variant
    assert answers["package_name"] == PACKAGE
    assert not [key for key in answers if key.startswith("_")]


def test_depends_on_the_chosen_logger_only(project: Path, variant: dict[str, str]) -> None:
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {dependency.split(">")[0].split("[")[0] for dependency in dependencies}
    for logger, requirements in TEMPLATE_CONTEXT["_logger_requirements"].items():
        for requirement in requirements:
            assert (requirement.split(">")[0] in names) == (variant["logger"] == logger), requirement
    assert {"tensorboard", "wandb", "mlflow"} & names <= {variant["logger"]}
    assert {"lightning", "torch", "torchmetrics", "jsonargparse", "scikit-learn"} <= names
    task_requirements = TEMPLATE_CONTEXT["_task_requirements"][variant["task_type"]]
    assert {requirement.split(">")[0] for requirement in task_requirements} <= names


def test_is_ruff_clean(project: Path) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "--no-cache", "."], cwd=project, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    format_check = subprocess.run(
        [*ruff, "format", "--check", "--no-cache", "."], cwd=project, capture_output=True, text=True
    )
    assert format_check.returncode == 0, format_check.stdout


def test_pre_commit_config_is_valid(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_speaks_of_the_split_seed_only_where_there_is_one(project: Path, variant: dict[str, str]) -> None:
    """Each sentence of the README must hold for its variant: the predefined split has no seed."""
    readme = (project / "README.md").read_text()
    split_config = yaml.safe_load((project / "src" / PACKAGE / "configs" / "split.yaml").read_text())
    has_seed = "seed" in (split_config["data"]["init_args"]["split"].get("init_args") or {})
    assert has_seed == (variant["split_strategy"] != "predefined")
    assert ("The split has its own `seed`" in readme) == has_seed
    assert ("and its own seed" in readme) == has_seed
