"""Keep only the files of the chosen options.

The template holds each option's own files under `_options/<option>/<value>/`,
laid out as they sit in the project; files that several values of an option share sit under
`_options/<option>/<value>+<value>.../`. Files that several tasks share sit under
`_options/capability/<capability>/`, named after what they serve (`images`, `tables`, ...):
`cookiecutter.json`'s `_task_capabilities` lists the capabilities of each task. The files of
every chosen folder move into place; every other folder goes with `_options`. Nothing else: no
`git init`, nothing that a second run (as `cruft update` renders the template again) would do twice.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

OPTIONS_DIR = "_options"
CAPABILITY = "capability"  # the folder of the files that several tasks share, by capability


def chosen_values(option: str, answers: dict) -> set[str]:
    """The values of `option` (a folder of `_options`) that the answers choose."""
    if option == CAPABILITY:
        return set(answers["_task_capabilities"][answers["task_type"]])
    return {answers[option]}


def chosen_folders(options: Path, answers: dict) -> list[Path]:
    """The folders under `options` whose files the project of `answers` has: a folder of an option
    is chosen where one of the names its name joins with "+" is a chosen value."""
    return [
        folder
        for option_dir in sorted(options.iterdir())
        for folder in sorted(option_dir.iterdir())
        if chosen_values(option_dir.name, answers) & set(folder.name.split("+"))
    ]


def keep_chosen_files(project: Path, answers: dict) -> None:
    options = project / OPTIONS_DIR
    if not options.is_dir():  # already done
        return
    for folder in chosen_folders(options, answers):
        for source in sorted(p for p in folder.rglob("*") if p.is_file()):
            target = project / source.relative_to(folder)
            if target.exists():
                raise FileExistsError(f"{source.relative_to(options)} would overwrite {target.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            source.rename(target)
    shutil.rmtree(options)


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    keep_chosen_files(Path.cwd(), answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
