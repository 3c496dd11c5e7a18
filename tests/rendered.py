"""Run a rendered project's own test suite as its user runs it: installed with `pip install .`
(not editable: a file the package fails to ship fails its tests) into a fresh virtual environment,
the suite started from the project's folder in a new process with a clean environment."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

# The environment a fresh shell would give the suite: no variables of this test run leak in.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def install(project: Path, folder: Path, *requirements: str, editable: bool = False) -> Path:
    """A virtual environment in `folder` that sees this interpreter's packages (torch and the rest,
    installed once), with `requirements` installed over them and the project installed as a user
    installs it (or as its developers do, `editable`); returns its python."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # `venv --system-site-packages` would see the base interpreter's packages, not those of the virtual
    # environment or conda environment running these tests: the running interpreter's folders come after
    # the new environment's own, read as site folders (their .pth files too).
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    folders = [folder for folder in site.getsitepackages() if Path(folder).is_dir()]
    (Path(site_packages) / "_tests_interpreter.pth").write_text(
        f"import site; {'; '.join(f'site.addsitedir({folder!r})' for folder in folders)}\n"
    )
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if requirements:
        # From the package index: the versions this interpreter has are not these.
        checked_run([*pip, *requirements])
    # No dependencies (the interpreter's serve) and no build isolation: offline, in a second.
    checked_run([*pip, "--no-deps", "--no-build-isolation", *(["--editable"] if editable else []), str(project)])
    return python


def checked_run(command: list[str]) -> None:
    """Run `command`; on failure, fail with its output (pip's own error message) in the test's report."""
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-6000:]}"


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
