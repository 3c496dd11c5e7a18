"""What a run remembers of an image folder, so that its start-up does not grow with the data.

- `checked_files`: what checking each file found (it is an image; what its mask holds), kept with
  each file's size and modification time; the next run checks only the files that are new or changed,
  and does no more per file than list it and stat it.
- `cached_array`: every image decoded and resized once, into an array on disk that every epoch
  memory-maps. Its name holds a fingerprint of the files' sizes and times, and the settings, so a
  changed file or image size builds a new array (decoding only the changed files) and the old one
  is deleted.

Both are written under a temporary name and renamed: a process never sees a partial file, and
several processes (one per device) may build them at once. Checking and decoding many files use
every core of the machine and show a progress bar.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import MofNCompleteColumn, Progress
from torch.utils.data import Dataset

from .atomic import write_file
from .datamodule import available_cores

# Fewer files than this are checked or decoded in this process: starting processes would cost more.
PARALLEL_FROM = 512
CHUNK = 256  # files handed to a process at a time
# A file's stamp: its size and modification time (ns); for a sample of several files, theirs in turn.
Stamp = tuple[int, ...]


def folder_name(data_dir: Path) -> str:
    """A data folder's name in the cache: its name and a digest of its absolute path (two folders
    of one name do not share a cache)."""
    return f"{data_dir.name}-{hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]}"


def checked_store(cache_dir: Path | None, data_dir: Path) -> Path | None:
    """Where what checking the files of `data_dir` found is kept (see `checked_files`); None without a cache."""
    return cache_dir / f"{folder_name(data_dir)}-checked.json" if cache_dir else None


def _stat_all(files: Sequence[Path]) -> list[Stamp]:
    stamps = []
    for path in files:
        try:
            stat = path.stat()
        except OSError as error:  # removed since it was listed, or a broken link
            raise ValueError(f"Cannot read {path}: {error}") from error
        stamps.append((stat.st_size, stat.st_mtime_ns))
    return stamps


def stamps(*files: Sequence[Path]) -> list[Stamp]:
    """The stamp of each sample whose files are `files[0][i], files[1][i], ...`: one stat per file,
    from several threads at once (a network file system answers many at a time)."""
    flat = [path for group in files for path in group]
    chunks = [flat[start : start + CHUNK * 4] for start in range(0, len(flat), CHUNK * 4)]
    with ThreadPoolExecutor(max_workers=16) as threads:
        stamped = [stamp for chunk in threads.map(_stat_all, chunks) for stamp in chunk]
    count = len(files[0])
    return [sum((stamped[group * count + i] for group in range(len(files))), ()) for i in range(count)]


def fingerprint(sample_ids: Sequence[str], sample_stamps: Sequence[Stamp]) -> str:
    """A digest that changes when a file is added, removed or rewritten."""
    digest = hashlib.sha256()
    for sample_id, stamp in zip(sample_ids, sample_stamps, strict=True):
        digest.update(f"{sample_id}\0{stamp}\n".encode())
    return digest.hexdigest()[:16]


def _apply(function: Callable, items: Sequence) -> list:
    """`function` of each item, or the ValueError it raised: one bad file does not hide the others."""
    results = []
    for item in items:
        try:
            results.append(function(*item))
        except ValueError as error:
            results.append(error)
    return results


def map_files(function: Callable, items: Sequence[tuple], description: str) -> Iterator:
    """`function(*item)` for each item in turn (or the ValueError it raised), computed on every core
    when there are many, with a progress bar counting the files."""
    parallel = len(items) >= PARALLEL_FROM and available_cores() > 1
    pool: Executor | nullcontext = ProcessPoolExecutor(available_cores()) if parallel else nullcontext()
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    with pool, Progress(*Progress.get_default_columns(), MofNCompleteColumn(), disable=not parallel) as progress:
        task = progress.add_task(description, total=len(items))
        done = pool.map(partial(_apply, function), chunks) if parallel else map(partial(_apply, function), chunks)
        for chunk in done:
            progress.advance(task, len(chunk))
            yield from chunk


def checked_files(
    store: Path | None,
    sample_ids: Sequence[str],
    sample_stamps: Sequence[Stamp],
    check: Callable[..., Any],
    files: Sequence[tuple[Path, ...]],
    description: str,
) -> list[Any]:
    """What `check(*files[i])` returns for each sample (JSON: it is kept in `store`), or the ValueError
    it raised. Only samples that are new, or whose files' stamps changed, are checked; the others'
    results are read from `store`, which then holds the results of every file checked without error
    (none is lost to another file's error). `store` None: check every sample."""
    known: dict[str, list] = {}
    if store is not None and store.exists():
        known = json.loads(store.read_text())
    results: list[Any] = []
    todo = []
    for position, (sample_id, stamp) in enumerate(zip(sample_ids, sample_stamps, strict=True)):
        entry = known.get(sample_id)
        if entry is not None and tuple(entry[0]) == stamp:
            results.append(entry[1])
        else:
            results.append(None)
            todo.append(position)
    for position, result in zip(todo, map_files(check, [files[i] for i in todo], description), strict=True):
        results[position] = result
    if store is not None and (todo or len(known) != len(sample_ids)):
        kept = {
            sample_id: [stamp, result]
            for sample_id, stamp, result in zip(sample_ids, sample_stamps, results, strict=True)
            if not isinstance(result, ValueError)
        }
        write_file(store, lambda staging: staging.write_text(json.dumps(kept)))
    return results


def _as_array(read: Callable[[Path], torch.Tensor], path: Path) -> np.ndarray:
    # Tensors would travel between processes through shared memory, one segment each; arrays are copied.
    return read(path).numpy()


def previous_rows(folder: Path, name: str) -> tuple[np.ndarray | None, dict[tuple, int]]:
    """An array of `name` built before (memory-mapped) and the row of each (sample, stamp) in it."""
    for array_path in folder.glob(f"{name}-*.npy"):
        try:
            rows = json.loads(array_path.with_suffix(".json").read_text())
            return np.load(array_path, mmap_mode="r"), {
                (sample_id, tuple(stamp)): row for row, (sample_id, stamp) in enumerate(rows)
            }
        except (OSError, ValueError):  # deleted meanwhile by another process, or from an older version
            continue
    return None, {}


def cached_array(
    folder: Path,
    name: str,
    read: Callable[[Path], torch.Tensor],
    files: Sequence[Path],
    dtype: np.dtype,
    sample_ids: Sequence[str],
    sample_stamps: Sequence[Stamp],
) -> Path:
    """The path of the array `folder/<name>-<fingerprint>.npy`, which holds `read(file)` for each
    file in turn, built first if it is not there. Building it decodes only the files that are new
    or changed since the array of `name` built before, whose other rows it copies; that array is
    then deleted. Beside each array, `<name>-<fingerprint>.json` lists its rows' samples and stamps."""
    key = f"{name}-{fingerprint(sample_ids, sample_stamps)}"
    path = folder / f"{key}.npy"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    previous, previous_row = previous_rows(folder, name)
    # `name` holds the settings (the image size): an array of the same name has rows of the same shape.
    shape = (len(files), *(previous.shape[1:] if previous is not None else read(files[0]).shape))

    def fill(staging: Path) -> None:
        array = np.lib.format.open_memmap(staging, mode="w+", dtype=dtype, shape=shape)
        todo = []
        for row, sample in enumerate(zip(sample_ids, sample_stamps, strict=True)):
            if sample in previous_row:
                array[row] = previous[previous_row[sample]]
            else:
                todo.append(row)
        decoded = map_files(partial(_as_array, read), [(files[row],) for row in todo], f"Decoding {len(todo):,} files")
        for row, values in zip(todo, decoded, strict=True):
            if isinstance(values, ValueError):
                raise values
            array[row] = values
        array.flush()

    rows = json.dumps([[sample_id, stamp] for sample_id, stamp in zip(sample_ids, sample_stamps, strict=True)])
    write_file(path.with_suffix(".json"), lambda staging: staging.write_text(rows))
    write_file(path, fill)
    for stale in folder.glob(f"{name}-*"):
        if stale.stem != key:
            stale.unlink(missing_ok=True)
    return path


class MappedRows:
    """Rows `rows` of the array saved at `path`, as tensors: `rows[i]` for an index, a batch for a list.

    The array is memory-mapped when first read in each process (DataLoader workers
    included), so that it is never pickled or copied whole.
    """

    def __init__(self, path: Path, rows: Sequence[int]) -> None:
        self.path = path
        self.rows = np.asarray(rows, dtype=np.int64)
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int | list[int]) -> torch.Tensor:
        if self._array is None:
            self._array = np.load(self.path, mmap_mode="r")
        # One read of many rows copies them out of the map at once: no Python work per sample.
        return torch.from_numpy(np.array(self._array[self.rows[index]]))

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_array": None}


class Pairs(Dataset):
    """`(inputs[i], targets[i])` for each i, from tensors or `MappedRows`.

    The DataLoader calls `__getitems__` for a whole batch instead of reading its samples one by
    one: it returns the batch itself, `(inputs, targets)`, in one read of each array.
    """

    def __init__(self, inputs: MappedRows | torch.Tensor, targets: MappedRows | torch.Tensor) -> None:
        if len(inputs) != len(targets):
            raise ValueError(f"{len(inputs)} inputs but {len(targets)} targets.")
        self.inputs = inputs
        self.targets = targets

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs[index], self.targets[index]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs[indices], self.targets[indices]
