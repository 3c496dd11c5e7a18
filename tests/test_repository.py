"""Promises of the template repository itself: set-up commands, CI, replay."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from cookiecutter.main import cookiecutter

from .variants import ROOT, TEMPLATE_CONTEXT


def readme_commands() -> list[str]:
    """The commands of the README's first code block: set-up and run, then the tests."""
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_two_commands() -> None:
    run, test = readme_commands()
    assert "cookiecutter" in run and run.endswith(" fit")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    assert readme_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_saved_answers_replay_the_same_project(tmp_path: Path) -> None:
    first = Path(
        cookiecutter(
            str(ROOT),
            no_input=True,
            output_dir=str(tmp_path / "first"),
            extra_context={"project_name": "Replay Me", "split_strategy": "kfold", "logger": "wandb"},
        )
    )
    again = Path(cookiecutter(str(ROOT), replay=str(first / ".cookiecutter.json"), output_dir=str(tmp_path / "again")))
    first_files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert first_files == sorted(path.relative_to(again) for path in again.rglob("*") if path.is_file())
    for name in first_files:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    answers = json.loads((again / ".cookiecutter.json").read_text())["cookiecutter"]
    assert answers["split_strategy"] == "kfold"


def test_the_dev_extra_installs_what_every_variant_requires() -> None:
    """The template's tests import every variant's requirements: its dev extra must hold them all."""
    template = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    variants = [
        *TEMPLATE_CONTEXT["_requirements"],
        *(requirement for values in TEMPLATE_CONTEXT["_task_requirements"].values() for requirement in values),
        *(requirement for values in TEMPLATE_CONTEXT["_logger_requirements"].values() for requirement in values),
    ]
    assert set(variants) <= set(template)


def test_the_python_claims_agree_with_the_code() -> None:
    """The template's own tools need what its README says (3.11: tomllib); the rendered projects
    claim 3.10 and their CI tests the lowest and highest Python they claim."""
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11"
    assert "Python 3.11 or newer" in (ROOT / "README.md").read_text()
    project = ROOT / "{{cookiecutter.project_slug}}"
    assert 'requires-python = ">=3.10"' in (project / "pyproject.toml").read_text()
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert 'python-version: ["3.10", "3.13"]' in workflow
