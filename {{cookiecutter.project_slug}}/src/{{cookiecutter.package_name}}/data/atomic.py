"""Write files and folders so that no process ever sees them half written: each is written under a
temporary name beside its place and renamed into it in one step, so several processes (one per
device) may write the same one at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

COMPLETE_MARKER = ".complete"


def write_file(path: Path, write: Callable[[Path], None]) -> None:
    """Have `write` fill a temporary file beside `path`, then rename it to `path` (replacing it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        write(Path(staging))
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def write_folder(root: Path, fill: Callable[[Path], None]) -> None:
    """Have `fill` write the folder's files, unless `root` is already complete.

    `fill` writes into a temporary folder beside `root`, which is renamed into place in
    one step: safe when several processes (one per device) call this at once.
    """
    if (root / COMPLETE_MARKER).exists():
        return
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    try:
        fill(staging)
        (staging / COMPLETE_MARKER).touch()
        os.rename(staging, root)
    except OSError:
        # Another process finished first, or a stale, incomplete copy is in the way.
        if (root / COMPLETE_MARKER).exists():
            shutil.rmtree(staging)
        else:
            shutil.rmtree(root, ignore_errors=True)
            os.rename(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
