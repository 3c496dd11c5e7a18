"""The lowest versions that the rendered projects' requirements allow of the libraries they lean on
most (Lightning, jsonargparse, torchmetrics) work: a rendered suite passes with exactly those
installed (from the package index) over everything else at its current version."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from .rendered import install, run_suite
from .variants import FLOOR_VARIANT, TEMPLATE_CONTEXT

FLOORED = ("jsonargparse", "lightning", "torchmetrics")


def floors() -> list[str]:
    """`name==version` for each of FLOORED, from its `name>=version` requirement."""
    pinned = []
    for requirement in TEMPLATE_CONTEXT["_requirements"]:
        match = re.fullmatch(r"([\w-]+)(\[[\w,]+\])?>=([\w.]+)", requirement)
        if match and match.group(1) in FLOORED:
            pinned.append(f"{match.group(1)}{match.group(2) or ''}=={match.group(3)}")
    assert len(pinned) == len(FLOORED), TEMPLATE_CONTEXT["_requirements"]
    return pinned


@pytest.mark.rendered_suite
def test_the_lowest_allowed_versions_pass_a_rendered_suite(cookies, tmp_path: Path) -> None:
    result = cookies.bake(extra_context=FLOOR_VARIANT)
    assert result.exit_code == 0, result.exception
    python = install(result.project_path, tmp_path, *floors())
    installed = subprocess.run(
        [python, "-c", f"import importlib.metadata as m; print([m.version(name) for name in {FLOORED!r}])"],
        capture_output=True,
        text=True,
        check=True,
    )
    found = [Version(version) for version in ast.literal_eval(installed.stdout)]
    assert found == [Version(floor.split("==")[1]) for floor in floors()]
    run_suite(python, result.project_path, tmp_path / "home")
