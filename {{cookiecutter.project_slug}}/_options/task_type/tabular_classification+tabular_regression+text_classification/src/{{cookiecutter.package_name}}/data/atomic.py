"""Write a bundled data file so that no process ever sees it half written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO


def write_file(path: Path, fill: Callable[[TextIO], None]) -> None:
    """Have `fill` write the file's text, unless `path` already exists.

    `fill` writes a temporary file beside `path`, which is renamed into place in one
    step: safe when several processes (one per device) call this at once.
    """
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, staging = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            fill(file)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
