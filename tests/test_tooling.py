"""The linters and CI's actions at one version each: the rendered projects and the template repository
pass their pre-commit hooks and CI's lint, at the versions their configs pin, and their workflows are
valid GitHub workflows on current actions."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from identify.identify import tags_from_path

from .variants import ROOT, TEMPLATE_CONTEXT, slow_suite_variants, variant_id

# The pip package that each hook repository of the pre-commit configs mirrors: its rev is `v` + that version.
HOOK_PACKAGES = {
    "https://github.com/pre-commit/pre-commit-hooks": "pre-commit-hooks",
    "https://github.com/astral-sh/ruff-pre-commit": "ruff",
}
PYTHON_FILES = {"python", "pyi", "jupyter"}
# What each hook runs and on which files (any of these identify tags), as its repository's
# .pre-commit-hooks.yaml says at the pinned rev: pre-commit would clone the repositories from GitHub,
# which the tests must not need, so they run the same tools from this environment.
HOOKS = {
    "check-added-large-files": (["-m", "pre_commit_hooks.check_added_large_files"], {"file"}),
    "check-json": (["-m", "pre_commit_hooks.check_json"], {"json"}),
    "check-merge-conflict": (["-m", "pre_commit_hooks.check_merge_conflict"], {"text"}),
    "check-toml": (["-m", "pre_commit_hooks.check_toml"], {"toml"}),
    "check-yaml": (["-m", "pre_commit_hooks.check_yaml"], {"yaml"}),
    "end-of-file-fixer": (["-m", "pre_commit_hooks.end_of_file_fixer"], {"text"}),
    "trailing-whitespace": (["-m", "pre_commit_hooks.trailing_whitespace_fixer"], {"text"}),
    "ruff-check": (["-m", "ruff", "check", "--force-exclude"], PYTHON_FILES),
    "ruff-format": (["-m", "ruff", "format", "--force-exclude"], PYTHON_FILES),
}
# The hook options that run_hooks honours: a config that uses another one needs it taught first.
HOOK_OPTIONS = {"id", "args", "files", "exclude"}
# The newest major of each action the workflows use (checkout v4 and setup-python v5 run on Node 20,
# which GitHub's runners dropped in September 2026): a workflow with another action needs it added here.
CURRENT_ACTIONS = {"actions/checkout@v7", "actions/setup-python@v7"}
TEMPLATE_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.fixture(scope="module")
def renders(cookies_session) -> dict[str, Path]:
    """A fresh render of each task type (with a logger value of its own), by variant id."""
    projects = {}
    for variant in slow_suite_variants():
        result = cookies_session.bake(extra_context=variant)
        assert result.exit_code == 0, result.exception
        projects[variant_id(variant)] = result.project_path
    return projects


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def staged_copy(files: list[Path], source: Path, target: Path) -> Path:
    """`files` of `source` copied to `target`, a new git repository with them all staged, as for a first commit."""
    for path in files:
        (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / path.relative_to(source))
    git(target, "init", "-q")
    git(target, "add", "-A")
    return target


def pre_commit_config(repo: Path) -> dict:
    return yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())


def selected(name: str, patterns: dict) -> bool:
    """Whether pre-commit gives the file to a hook, by its config's `files` and `exclude` (regexes)."""
    return bool(re.search(patterns.get("files", ""), name)) and not re.search(patterns.get("exclude", "^$"), name)


def run_hooks(repo: Path) -> list[str]:
    """Run the hooks of `repo`'s .pre-commit-config.yaml as `pre-commit run --all-files` does: over git's
    files less the excluded ones, a hook failing when it exits non-zero or changes a file. The failures."""
    config = pre_commit_config(repo)
    files = [name for name in git(repo, "ls-files", "-z").split("\0") if name and selected(name, config)]
    failures = []
    for hook in (hook for repository in config["repos"] for hook in repository["hooks"]):
        assert set(hook) <= HOOK_OPTIONS, hook
        arguments, tags = HOOKS[hook["id"]]
        hook_files = [name for name in files if selected(name, hook) and tags & tags_from_path(str(repo / name))]
        if not hook_files:  # pre-commit skips it (ruff without files would lint the whole folder)
            continue
        before = git(repo, "diff")
        result = subprocess.run(
            [sys.executable, *arguments, *hook.get("args", []), *hook_files], cwd=repo, capture_output=True, text=True
        )
        changes = git(repo, "diff") != before
        if result.returncode or changes:
            failures.append(
                f"{hook['id']} (exit {result.returncode}, files changed: {changes}):\n{result.stdout}{result.stderr}"
            )
    return failures


def dev_pins(repo: Path) -> dict[str, str]:
    """The exact pins (`name==version`) of a pyproject.toml's dev extra."""
    dev = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    return dict(requirement.split("==") for requirement in dev if "==" in requirement)


def test_one_version_of_each_linter(renders: dict[str, Path]) -> None:
    """The hooks' revs, here and in every render, are the versions the dev extras pin and the tests run:
    ruff's version in one place, cookiecutter.json, for the renders."""
    installed = {package: importlib.metadata.version(package) for package in HOOK_PACKAGES.values()}
    assert TEMPLATE_CONTEXT["_ruff_version"] == installed["ruff"]
    assert {package: dev_pins(ROOT).get(package) for package in installed} == installed
    for repo in (ROOT, *renders.values()):
        revs = {HOOK_PACKAGES[repository["repo"]]: repository["rev"] for repository in pre_commit_config(repo)["repos"]}
        assert revs == {package: f"v{version}" for package, version in installed.items()}, repo
    for project in renders.values():
        assert dev_pins(project).get("ruff") == installed["ruff"], project


def test_renders_pass_ci_lint(renders: dict[str, Path], task_variant: dict[str, str]) -> None:
    """CI's ruff commands, read from its workflow, pass on a fresh render."""
    project = renders[variant_id(task_variant)]
    jobs = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())["jobs"].values()
    lines = [line.strip() for job in jobs for step in job["steps"] for line in step.get("run", "").splitlines()]
    commands = [shlex.split(line) for line in lines if line.startswith("ruff ")]
    assert len(commands) == 2, lines
    for command in commands:
        result = subprocess.run(
            [sys.executable, "-m", *command, "--no-cache"], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_renders_pass_their_pre_commit_hooks(
    renders: dict[str, Path], task_variant: dict[str, str], tmp_path: Path
) -> None:
    """A fresh render, as its first commit, passes its own hooks: nothing to fix, nothing rewritten."""
    project = renders[variant_id(task_variant)]
    repo = staged_copy([path for path in project.rglob("*") if path.is_file()], project, tmp_path)
    assert run_hooks(repo) == []


def test_template_passes_its_pre_commit_hooks(tmp_path: Path) -> None:
    """The template repository's own hooks pass on its files (the tracked ones and the new ones git would add)."""
    names = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    files = [ROOT / name for name in names if name and (ROOT / name).is_file()]
    assert run_hooks(staged_copy(files, ROOT, tmp_path)) == []


def test_template_is_ruff_clean() -> None:
    """Ruff over the whole repository: its exclude keeps it out of the template folder, which is Jinja."""
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_are_valid(renders: dict[str, Path]) -> None:
    """The template's workflows and every task's rendered CI, against the GitHub workflow schema that
    check-jsonschema ships (no network)."""
    workflows = [*TEMPLATE_WORKFLOWS, *(project / ".github" / "workflows" / "ci.yml" for project in renders.values())]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, workflows)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_use_current_actions(renders: dict[str, Path]) -> None:
    """No workflow, the template's or a render's, uses an action on a retired runtime."""
    workflows = [*TEMPLATE_WORKFLOWS, *(project / ".github" / "workflows" / "ci.yml" for project in renders.values())]
    for workflow in workflows:
        jobs = yaml.safe_load(workflow.read_text())["jobs"].values()
        actions = {step["uses"] for job in jobs for step in job["steps"] if "uses" in step}
        assert actions <= CURRENT_ACTIONS, workflow
