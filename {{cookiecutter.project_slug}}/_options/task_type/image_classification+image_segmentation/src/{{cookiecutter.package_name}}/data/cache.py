"""Decode a data set's images once, into an array on disk that every epoch memory-maps.

Decoding and resizing every image at every epoch costs more than training a small
network on it. The array's name holds a fingerprint of the files (path, size,
modification time) and of the settings, so that adding, removing or rewriting a
file, or changing the image size, builds a new array; the old one is deleted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset


def fingerprint(files: Sequence[Path], *settings: object) -> str:
    """A digest that changes when a file is added, removed or rewritten, or a setting changes."""
    digest = hashlib.sha256(repr(settings).encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def data_name(data_dir: Path, size: int) -> str:
    """The name of a data folder's arrays at one image size: the folder's name, a digest of
    its absolute path (two folders of one name do not share arrays) and the size."""
    folder = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]
    return f"{data_dir.name}-{folder}-{size}px"


def cached_array(
    folder: Path, key: str, shape: tuple[int, ...], dtype: np.dtype, fill: Callable[[np.ndarray], None]
) -> Path:
    """The path of `folder/<key>.npy`, which `fill` writes into first if it is not there.

    Written under a temporary name and renamed: a process never sees a partial array,
    and several processes (one per device) may call this at once. Arrays of the same
    data with another fingerprint (the part of `key` after its last "-") are deleted.
    """
    path = folder / f"{key}.npy"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{key}-", suffix=".npy", dir=folder)
    os.close(handle)
    try:
        array = np.lib.format.open_memmap(staging, mode="w+", dtype=dtype, shape=shape)
        fill(array)
        array.flush()
        del array
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    prefix = key.rsplit("-", 1)[0]
    for stale in folder.glob(f"{prefix}-*.npy"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return path


class MappedRows:
    """Rows `rows` of the array saved at `path`, as tensors.

    The array is memory-mapped when first read in each process (DataLoader workers
    included), so that it is never pickled or copied whole.
    """

    def __init__(self, path: Path, rows: Sequence[int]) -> None:
        self.path = path
        self.rows = list(rows)
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> torch.Tensor:
        if self._array is None:
            self._array = np.load(self.path, mmap_mode="r")
        return torch.from_numpy(np.array(self._array[self.rows[index]]))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_array": None}


class Pairs(Dataset):
    """`(inputs[i], targets[i])` for each i."""

    def __init__(self, inputs: Sequence, targets: Sequence) -> None:
        if len(inputs) != len(targets):
            raise ValueError(f"{len(inputs)} inputs but {len(targets)} targets.")
        self.inputs = inputs
        self.targets = targets

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> tuple:
        return self.inputs[index], self.targets[index]
