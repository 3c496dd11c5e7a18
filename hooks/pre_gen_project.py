"""Refuse answers that would render a broken project, before anything is written.

The answers reach this script as JSON data, never as code, so quotes, backslashes
and braces in them cannot break it. The tests import this module to share
`refusal`, the one definition of which answers are valid.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

# Names the rendered project imports (or that pytest and Python would find first):
# a package named like one of them would shadow it.
SHADOWED_NAMES = frozenset(
    {
        "jsonargparse",
        "lightning",
        "lightning_fabric",
        "mlflow",
        "numpy",
        "PIL",
        "pytest",
        "pytorch_lightning",
        "rich",
        "sklearn",
        "tensorboard",
        "test",
        "tests",
        "torch",
        "torchmetrics",
        "torchvision",
        "wandb",
        "yaml",
    }
    | set(sys.stdlib_module_names)
)
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")
OPTION_KEYS = ("task_type", "split_strategy", "logger")


def refusal(answers: dict, invalid_combinations: dict) -> str | None:
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
    if package in SHADOWED_NAMES:
        return (
            f"package_name {package!r} would shadow the module of the same name that "
            f"the project imports: choose another name (e.g. 'my_{package}')."
        )
    for rule in invalid_combinations.values():
        if all(answers[key] in values for key, values in rule["when"].items()):
            chosen = ", ".join(f"{key}={answers[key]}" for key in OPTION_KEYS if key in rule["when"])
            return f"{chosen} cannot be combined: {rule['why']}"
    return None


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    message = refusal(answers, answers["_invalid_combinations"])
    if message:
        print(f"ERROR: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
