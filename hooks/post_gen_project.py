"""Keep only the files of the chosen options.

The template holds each option's own files under `_options/<option>/<value>/`,
laid out as they sit in the project. The chosen value's files move into place;
every other value's files go with `_options`.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

OPTIONS_DIR = "_options"


def keep_chosen_files(project: Path, answers: dict) -> None:
    options = project / OPTIONS_DIR
    for option_dir in sorted(options.iterdir()):
        chosen = option_dir / answers[option_dir.name]
        for source in sorted(p for p in chosen.rglob("*") if p.is_file()):
            target = project / source.relative_to(chosen)
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
