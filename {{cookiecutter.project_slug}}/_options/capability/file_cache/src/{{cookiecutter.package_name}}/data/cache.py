"""Keep what a run read from a data file (a parsed table, tokenized texts) for the next run.

An entry is a folder named after the data file and the kind of content, with a fingerprint of the
file (absolute path, size, modification time) and of the settings that shape the content: a
rewritten file or another setting leads to a new entry, and the entry it replaces is deleted. An
entry is written under a temporary name and renamed into place, so that several processes (one per
device) may build it at once and all end up reading one complete entry.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

from .atomic import write_folder


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_entry(cache_dir: Path, data_file: Path, kind: str, *settings: object) -> Path:
    """Where the entry of `kind` for `data_file` as it is now, read with `settings`, is kept."""
    path = data_file.resolve()
    stat = path.stat()
    fingerprint = digest(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{settings!r}")
    return cache_dir / f"{data_file.stem}-{digest(str(path))[:8]}-{kind}-{fingerprint}"


def write_entry(entry: Path, fill: Callable[[Path], None]) -> None:
    """Have `fill` write the files of `entry` (see `write_folder`), then delete the entries it
    replaces (same data file and kind, another fingerprint)."""
    write_folder(entry, fill)
    prefix = entry.name.rsplit("-", 1)[0]
    for stale in entry.parent.glob(f"{prefix}-*"):
        if stale != entry and stale.name.rsplit("-", 1)[0] == prefix:
            shutil.rmtree(stale, ignore_errors=True)
