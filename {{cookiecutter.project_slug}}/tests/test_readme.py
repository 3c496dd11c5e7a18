"""The README's Python snippets run as written, each in a fresh interpreter (as a user pastes them),
in a folder that holds what a user would have: a trained run's checkpoint and the files they name."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TrainedRun
from .tiny_data import write_predict_inputs

pytestmark = pytest.mark.slow  # a new interpreter per snippet
README = Path(__file__).resolve().parents[1] / "README.md"


def python_snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_python_snippets() -> None:
    assert python_snippets()


@pytest.mark.parametrize("number", range(len(python_snippets())))
def test_readme_python_snippet_runs_as_written(number: int, trained_run: TrainedRun, tmp_path: Path) -> None:
    snippet = python_snippets()[number]
    # A folder as `fit` leaves it: `best` and `last` name its checkpoints.
    checkpoints = tmp_path / "runs" / "a-run" / "checkpoints"
    checkpoints.mkdir(parents=True)
    for name in ("best.ckpt", "last.ckpt"):
        shutil.copy(trained_run.folder / "checkpoints" / name, checkpoints / name)
    shutil.copy(trained_run.folder / "run.yaml", checkpoints.parent)  # its fit finished
    # The files the snippet names, made from the tests' own inputs of the same kind.
    _, sources, _ = write_predict_inputs(tmp_path / "inputs")
    examples = {Path(str(source)).suffix: Path(str(source)) for source in sources if Path(str(source)).is_file()}
    for node in ast.walk(ast.parse(snippet)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            path = tmp_path / node.value
            if path.suffix == ".ckpt":
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(trained_run.folder / "checkpoints" / "best.ckpt", path)
            elif path.suffix in examples and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(examples[path.suffix], path)
    run = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{snippet}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
