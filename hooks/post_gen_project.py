"""Keep only the files of the chosen options.

The template holds each option's own files under `_options/<option>/<value>/`,
laid out as they sit in the project; files that several values share sit under
`_options/<option>/<value>+<value>.../`. The files of every folder that names the
chosen value move into place; every other folder goes with `_options`. Nothing else: no
`git init`, nothing that a second run (as `cruft update` renders the template again) would do twice.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

OPTIONS_DIR = "_options"


def keep_chosen_files(project: Path, answers: dict) -> None:
    options = project / OPTIONS_DIR
    if not options.is_dir():  # already done
        return
    for option_dir in sorted(options.iterdir()):
        chosen = [
            folder for folder in sorted(option_dir.iterdir()) if answers[option_dir.name] in folder.name.split("+")
        ]
        for folder in chosen:
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
