"""Write a folder of bundled data so that no process ever sees it half written."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

COMPLETE_MARKER = ".complete"


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
