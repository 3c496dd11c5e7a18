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

from .variants import TEMPLATE_CONTEXT, variant_id

PACKAGE = "digit_classifier"
# Files every variant has; each option value's own files are added below.
COMMON_FILES = {
    ".cookiecutter.json",
    ".github/workflows/ci.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "README.md",
    "pyproject.toml",
    "src/{package}/configs/callbacks.yaml",
    "src/{package}/configs/data.yaml",
    "src/{package}/configs/logger.yaml",
    "src/{package}/configs/model.yaml",
    "src/{package}/configs/split.yaml",
    "src/{package}/configs/sweep.yaml",
    "src/{package}/configs/trainer.yaml",
    "src/{package}/__init__.py",
    "src/{package}/__main__.py",
    "src/{package}/cli.py",
    "src/{package}/commands.py",
    "src/{package}/compare.py",
    "src/{package}/data/atomic.py",
    "src/{package}/data/datamodule.py",
    "src/{package}/data/overlap.py",
    "src/{package}/data/splits.py",
    "src/{package}/data/splitting.py",
    "src/{package}/export.py",
    "src/{package}/figure_logging.py",
    "src/{package}/inference.py",
    "src/{package}/models/supervised.py",
    "src/{package}/plots.py",
    "src/{package}/prediction.py",
    "src/{package}/repeat.py",
    "src/{package}/report.py",
    "src/{package}/runs.py",
    "src/{package}/serving.py",
    "src/{package}/sweep.py",
    "tests/__init__.py",
    "tests/browser.py",
    "tests/conftest.py",
    "tests/processes.py",
    "tests/test_cli.py",
    "tests/test_compare.py",
    "tests/test_ddp.py",
    "tests/test_deploy.py",
    "tests/test_layers.py",
    "tests/test_gpu.py",
    "tests/test_logger.py",
    "tests/test_overlap.py",
    "tests/test_plots.py",
    "tests/test_readme.py",
    "tests/test_repeat.py",
    "tests/test_resume.py",
    "tests/test_runs.py",
    "tests/test_splits.py",
    "tests/test_sweep.py",
}
OPTION_FILES = {
    ("task_type", "image_classification"): {
        "tests/image_requests.py",
        "tests/test_cache.py",
        "tests/messy_images.py",
        "tests/test_decoding.py",
        "tests/test_user_images.py",
        "src/{package}/data/classes.py",
        "src/{package}/models/classification.py",
        "src/{package}/data/__init__.py",
        "src/{package}/data/cache.py",
        "src/{package}/data/class_folders.py",
        "src/{package}/data/digits.py",
        "src/{package}/data/images.py",
        "src/{package}/models/__init__.py",
        "src/{package}/models/backbones.py",
        "src/{package}/models/classifier.py",
        "src/{package}/models/finetuning.py",
        "src/{package}/models/images.py",
        "src/{package}/models/weights.py",
        "src/{package}/class_figures.py",
        "src/{package}/image_figures.py",
        "src/{package}/writers.py",
        "tests/test_data.py",
        "tests/test_model.py",
        "tests/test_pretrained.py",
        "tests/test_selection.py",
        "tests/tiny_data.py",
    },
    ("task_type", "image_segmentation"): {
        "tests/image_requests.py",
        "tests/test_cache.py",
        "tests/messy_images.py",
        "tests/test_decoding.py",
        "src/{package}/data/__init__.py",
        "src/{package}/data/cache.py",
        "src/{package}/data/images.py",
        "src/{package}/data/segmentation.py",
        "src/{package}/data/shapes.py",
        "src/{package}/models/__init__.py",
        "src/{package}/models/finetuning.py",
        "src/{package}/models/images.py",
        "src/{package}/models/segmenter.py",
        "src/{package}/mask_figures.py",
        "src/{package}/models/unet.py",
        "src/{package}/models/weights.py",
        "src/{package}/writers.py",
        "tests/test_data.py",
        "tests/test_model.py",
        "tests/test_predictions.py",
        "tests/test_pretrained.py",
        "tests/test_user_masks.py",
        "tests/tiny_data.py",
    },
    ("task_type", "tabular_classification"): {
        "src/{package}/data/classes.py",
        "src/{package}/data/__init__.py",
        "src/{package}/data/bundled.py",
        "src/{package}/data/cache.py",
        "src/{package}/data/classification.py",
        "src/{package}/data/rows.py",
        "src/{package}/data/tabular.py",
        "src/{package}/models/__init__.py",
        "src/{package}/models/classification.py",
        "src/{package}/models/classifier.py",
        "src/{package}/models/tabular.py",
        "src/{package}/class_figures.py",
        "src/{package}/writers.py",
        "tests/test_data.py",
        "tests/test_cache.py",
        "tests/test_model.py",
        "tests/test_table.py",
        "tests/test_selection.py",
        "tests/test_writers.py",
        "tests/tiny_data.py",
        "tests/tiny_table.py",
    },
    ("task_type", "tabular_regression"): {
        "src/{package}/data/__init__.py",
        "src/{package}/data/bundled.py",
        "src/{package}/data/cache.py",
        "src/{package}/data/regression.py",
        "src/{package}/data/rows.py",
        "src/{package}/data/tabular.py",
        "src/{package}/models/__init__.py",
        "src/{package}/models/regressor.py",
        "src/{package}/value_figures.py",
        "src/{package}/models/tabular.py",
        "src/{package}/writers.py",
        "tests/test_data.py",
        "tests/test_cache.py",
        "tests/test_model.py",
        "tests/test_table.py",
        "tests/test_writers.py",
        "tests/tiny_data.py",
        "tests/tiny_table.py",
    },
    ("task_type", "text_classification"): {
        "src/{package}/data/classes.py",
        "src/{package}/models/classification.py",
        "src/{package}/data/__init__.py",
        "src/{package}/data/cache.py",
        "src/{package}/data/corpus.py",
        "src/{package}/data/text.py",
        "src/{package}/data/tokens.py",
        "src/{package}/models/__init__.py",
        "src/{package}/models/encoders.py",
        "src/{package}/models/finetuning.py",
        "src/{package}/models/text.py",
        "src/{package}/class_figures.py",
        "src/{package}/writers.py",
        "tests/test_data.py",
        "tests/test_model.py",
        "tests/test_cache.py",
        "tests/test_pretrained.py",
        "tests/test_tokenizer.py",
        "tests/test_selection.py",
        "tests/test_truncation.py",
        "tests/tiny_data.py",
    },
    ("split_strategy", "random"): {"tests/test_cv.py"},
    ("split_strategy", "stratified"): {"src/{package}/data/stratify.py", "tests/test_cv.py"},
    ("split_strategy", "predefined"): {"tests/test_cv.py"},
    ("logger", "wandb"): {"src/{package}/wandb_runs.py"},
    ("split_strategy", "kfold"): {"src/{package}/data/stratify.py", "src/{package}/kfold.py", "tests/test_kfold.py"},
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
    expected = set(COMMON_FILES)
    for option, value in variant.items():
        expected |= OPTION_FILES.get((option, value), set())
    expected = {name.format(package=PACKAGE) for name in expected}
    assert project_files(project) == expected
    assert not (project / "_options").exists()


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
    logger_packages = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}
    for logger, package in logger_packages.items():
        assert (package in names) == (variant["logger"] == logger)
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
