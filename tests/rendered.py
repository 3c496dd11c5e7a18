"""Run a rendered project's own test suite as its user runs it: installed with `pip install .`
(not editable: a file the package fails to ship fails its tests) into a fresh virtual environment,
the suite started from the project's folder in a new process with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The environment a fresh shell would give the suite: no variables of this test run leak in.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def install(project: Path, folder: Path, *requirements: str) -> Path:
    """A virtual environment in `folder` that sees this interpreter's packages (torch and the rest,
    installed once), with `requirements` installed over them and the project installed as a user
    installs it; returns its python."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if requirements:
        # From the package index: the versions this interpreter has are not these.
        subprocess.run([*pip, *requirements], check=True, capture_output=True, text=True)
    # No dependencies (the interpreter's serve) and no build isolation: offline, in a second.
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", str(project)], check=True, capture_output=True)
    return python


def run_suite(python: Path, project: Path, home: Path, *pytest_args: str) -> str:
    """Run the project's suite with `python`; assert it passed; return its output."""
    home.mkdir(exist_ok=True)
    env = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    env |= {"HOME": str(home), "WANDB_MODE": "offline", "PYTHONDONTWRITEBYTECODE": "1"}
    suite = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *pytest_args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert suite.returncode == 0, suite.stdout[-6000:] + suite.stderr[-3000:]
    assert " passed" in suite.stdout.splitlines()[-1]
    return suite.stdout
