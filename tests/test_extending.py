"""docs/extending.md holds: on a copy of the template, a task type and a logger added by its steps
(each a copy of an existing value under a new name) render with no input, with the files the
template's tree gives them, the same as the value they copy. Renders only: the rendered suites
are not run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .variants import ROOT, template_files

TEMPLATE_PARTS = ("cookiecutter.json", "hooks", "templates", "{{cookiecutter.project_slug}}")
OPTIONS = Path("{{cookiecutter.project_slug}}") / "_options"
DERIVED = {"project_slug": "digit-classifier", "package_name": "digit_classifier"}
# The files whose text names the option's value: the saved answers, and the README's prose.
NAMING_THE_VALUE = {".cookiecutter.json", "README.md"}

NEW_TASK, OLD_TASK = "tabular_regression_copy", "tabular_regression"
NEW_LOGGER, OLD_LOGGER = "mlflow_copy", "mlflow"


def copy_of_the_template(folder: Path) -> Path:
    folder.mkdir()
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / part)
    return folder


def copy_named_pieces(templates: Path, old: str, new: str) -> list[Path]:
    """Copy each piece under `templates/` named after `old` (a folder `old`, a file `old.<ext>`) to
    the same place under `new`'s name, as the steps say; return the copies."""
    named = [path for path in templates.rglob("*") if old in (path.name, path.stem)]
    copies = []
    for piece in [path for path in named if not set(path.parents) & set(named)]:
        copy = piece.with_name(piece.name.replace(old, new, 1))
        (shutil.copytree if piece.is_dir() else shutil.copy)(piece, copy)
        copies.append(copy)
    return copies


def add_value(template: Path, option: str, old: str, new: str, requirements_key: str) -> None:
    """Steps of docs/extending.md for a value `new` of `option` that does what `old` does: its folder
    of files, its line among the choices and prompts, its requirements (and, for a task, its
    capabilities), its pieces under `templates/`."""
    shutil.copytree(template / OPTIONS / option / old, template / OPTIONS / option / new)
    context_file = template / "cookiecutter.json"
    context = json.loads(context_file.read_text())
    context[option].append(new)
    context["__prompts__"][option][new] = f"{context['__prompts__'][option][old]}, again"
    context[requirements_key][new] = list(context[requirements_key][old])
    if option == "task_type":
        context["_task_capabilities"][new] = list(context["_task_capabilities"][old])
    context_file.write_text(json.dumps(context, indent=2) + "\n")
    copy_named_pieces(template / "templates", old, new)


def render(template: Path, output: Path, **options: str) -> Path:
    return Path(cookiecutter(str(template), no_input=True, output_dir=str(output), extra_context=options))


def files(project: Path) -> set[str]:
    return {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}


def assert_renders_as_its_model(template: Path, tmp_path: Path, option: str, new: str, old: str) -> Path:
    """Render `new` and `old` from the copy, the other options the same: the new value's render has
    the files the template's tree gives it, the same as `old`'s, with the same contents (but for
    the files that name the value)."""
    others = {"task_type": "image_segmentation", "split_strategy": "stratified", "logger": "csv"}
    others.pop(option)
    project = render(template, tmp_path / "new", **{option: new}, **others)
    model = render(template, tmp_path / "old", **{option: old}, **others)
    context = json.loads((template / "cookiecutter.json").read_text())
    answers = {**context, **DERIVED, **others, option: new}
    assert files(project) == template_files(answers, root=template)
    assert files(project) == files(model)
    assert not (project / "_options").exists()
    for name in files(project) - NAMING_THE_VALUE:
        assert (project / name).read_bytes() == (model / name).read_bytes(), name
    saved = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert saved[option] == new
    return project


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return copy_of_the_template(tmp_path / "template")


def test_a_task_added_by_the_steps_renders(template: Path, tmp_path: Path) -> None:
    add_value(template, "task_type", OLD_TASK, NEW_TASK, "_task_requirements")
    project = assert_renders_as_its_model(template, tmp_path, "task_type", NEW_TASK, OLD_TASK)
    assert (project / "tests" / "tiny_data.py").is_file()
    assert "pandas>=2" in (project / "pyproject.toml").read_text()


def test_a_task_added_by_the_steps_has_its_models_readme(template: Path, tmp_path: Path) -> None:
    """The README's wording comes from the task's own fragments: the copy's README is its model's."""
    add_value(template, "task_type", OLD_TASK, NEW_TASK, "_task_requirements")
    project = render(template, tmp_path / "new", task_type=NEW_TASK)
    model = render(template, tmp_path / "old", task_type=OLD_TASK)
    assert (project / "README.md").read_text() == (model / "README.md").read_text()


def test_a_logger_added_by_the_steps_renders(template: Path, tmp_path: Path) -> None:
    add_value(template, "logger", OLD_LOGGER, NEW_LOGGER, "_logger_requirements")
    project = assert_renders_as_its_model(template, tmp_path, "logger", NEW_LOGGER, OLD_LOGGER)
    assert "mlflow>=2.16" in (project / "pyproject.toml").read_text()
