"""A rendered project takes the template's later fixes with cruft: a throwaway git repository of the
template gets a second commit (a shared file and one task's file changed); the project created from
the first with `cruft create`, committed with its user's own edits, is updated to the second with
`cruft update`: the change arrives, the user's edits stay, nothing is left to resolve by hand, and
the project's suite passes. (Not the template's own git history: CI may clone it shallow.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cruft
import pytest

from .rendered import install, run_suite
from .variants import CRUFT_VARIANT, ROOT

TEMPLATE_PARTS = ("cookiecutter.json", "hooks", "templates", "{{cookiecutter.project_slug}}")
SHARED_FILE = Path("{{cookiecutter.project_slug}}/src/{{cookiecutter.package_name}}/training/runs.py")
TASK_FILE = Path(
    "{{cookiecutter.project_slug}}/_options/task_type/image_classification/src/{{cookiecutter.package_name}}/configs/model.yaml"
)


def git(folder: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    return subprocess.run(["git", *identity, *args], cwd=folder, check=True, capture_output=True, text=True).stdout


def commit_all(folder: Path, message: str) -> str:
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    return git(folder, "rev-parse", "HEAD").strip()


@pytest.mark.rendered_suite
def test_cruft_update_brings_the_template_change_and_keeps_the_users(tmp_path: Path) -> None:
    template = tmp_path / "template"
    template.mkdir()
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, template / part, **({"ignore": shutil.ignore_patterns("__pycache__")} if source.is_dir() else {}))
    git(template, "init", "-q")
    first = commit_all(template, "the template today")

    cruft.create(str(template), output_dir=tmp_path / "out", no_input=True, checkout=first, extra_context=CRUFT_VARIANT)
    project = tmp_path / "out" / "digit-classifier"
    assert (project / ".cruft.json").is_file()
    git(project, "init", "-q")
    commit_all(project, "rendered")
    # The user's own work: a changed default and a file of their own.
    data_config = project / "src" / "digit_classifier" / "configs" / "data.yaml"
    data_config.write_text(data_config.read_text().replace("batch_size: 64", "batch_size: 32"))
    (project / "notes.md").write_text("What we tried.\n")
    commit_all(project, "our changes")

    shared = template / SHARED_FILE
    shared.write_text(shared.read_text() + "\n# Runs keep their folder: noted by the template's second commit.\n")
    task = template / TASK_FILE
    task.write_text(task.read_text().replace("lr: 0.003", "lr: 0.002"))
    second = commit_all(template, "a fix to a shared file and to one task's file")

    assert not cruft.check(project, checkout=second)
    assert cruft.update(project, skip_apply_ask=True, checkout=second)
    runs_module = project / "src" / "digit_classifier" / "training" / "runs.py"
    assert "noted by the template's second commit" in runs_module.read_text()
    assert "lr: 0.002" in (project / "src" / "digit_classifier" / "configs" / "model.yaml").read_text()
    assert "batch_size: 32" in data_config.read_text()
    assert (project / "notes.md").read_text() == "What we tried.\n"
    assert not list(project.rglob("*.rej"))
    assert cruft.check(project, checkout=second)

    python = install(project, tmp_path)
    run_suite(python, project, tmp_path / "home", "-n", "0")  # in one process: other suites run beside it
