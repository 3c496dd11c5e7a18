"""Refuse answers that would render a broken project, before anything is written.

The answers reach this script as JSON data, never as code, so quotes, backslashes
and braces in them cannot break it. The tests import this module to share
`refusal`, the one definition of which answers are valid.
"""

from __future__ import annotations

import json
import keyword
import re
import subprocess
import sys
from pathlib import Path

# Modules the project imports without naming them as requirements (they come with its requirements,
# or are its own), which a package of the same name would shadow; its requirements add their own.
ALWAYS_IMPORTED = frozenset(
    {"fastapi", "lightning_fabric", "numpy", "pytest", "pytorch_lightning", "test", "tests", "yaml"}
) | frozenset(sys.stdlib_module_names)
# Where a distribution's import name is not its name with "-" as "_".
IMPORT_NAMES = {"scikit-learn": "sklearn", "pillow": "PIL"}
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")
OPTION_KEYS = ("task_type", "split_strategy", "logger")
# Runs apart from this hook, after cookiecutter has deleted the refused project's folder: removes the
# folders that cookiecutter created above it (empty ones only) for a slug with a "/".
REMOVE_EMPTY_PARENTS = """
import os, sys, time
project, *parents = sys.argv[1:]
deadline = time.monotonic() + 60
while os.path.exists(project) and time.monotonic() < deadline:
    time.sleep(0.05)
for parent in parents:
    try:
        os.rmdir(parent)
    except OSError:
        break
"""


def imported_modules(answers: dict) -> set[str]:
    """The top-level modules the project of `answers` imports: its requirements' and the usual ones."""
    requirements = [
        *answers["_requirements"],
        *answers["_task_requirements"][answers["task_type"]],
        *answers["_logger_requirements"][answers["logger"]],
    ]
    names = {re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0] for requirement in requirements}
    return {IMPORT_NAMES.get(name.lower(), name.replace("-", "_")) for name in names} | ALWAYS_IMPORTED


def refusal(answers: dict) -> str | None:
    """Return one line saying what is wrong with `answers` and how to fix it, or None."""
    slug = answers["project_slug"]
    if not SLUG_PATTERN.match(slug) or ".." in slug:
        return (
            f"project_slug {slug!r} is not a usable folder and distribution name: "
            "use lowercase letters, digits, '-', '_' and '.', starting and ending "
            "with a letter or digit (e.g. 'digit-classifier')."
        )
    package = answers["package_name"]
    if not package.isidentifier() or not package.isascii():
        return (
            f"package_name {package!r} is not a valid Python identifier: use ASCII "
            "letters, digits and '_', not starting with a digit (e.g. 'digit_classifier')."
        )
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return f"package_name {package!r} is a Python keyword: choose another name."
    if package in imported_modules(answers):
        return (
            f"package_name {package!r} would shadow the module of the same name that "
            f"the project imports: choose another name (e.g. 'my_{package}')."
        )
    for rule in answers["_invalid_combinations"].values():
        if all(answers[key] in values for key, values in rule["when"].items()):
            chosen = ", ".join(f"{key}={answers[key]}" for key in OPTION_KEYS if key in rule["when"])
            return f"{chosen} cannot be combined: {rule['why']}"
    return None


def remove_empty_parents_later(project: Path, output_dir: Path) -> None:
    """Cookiecutter deletes the folder of a refused project, but not the folders it made above it
    for a slug such as 'a/b': have them removed once the project's folder is gone."""
    parents = [parent for parent in project.parents if output_dir in parent.parents]
    if parents:
        subprocess.Popen(
            [sys.executable, "-c", REMOVE_EMPTY_PARENTS, str(project), *map(str, parents)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    message = refusal(answers)
    if message:
        remove_empty_parents_later(Path.cwd().resolve(), Path(answers["_output_dir"]).resolve())
        print(f"ERROR: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
