"""What a checkpoint trained and validated on, kept in the checkpoint, so that evaluating it on data
that changed since (rows inserted, files added, other split options) cannot quietly count its own
training samples as test samples."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_warn

# The checkpoint's key for the record.
RECORD_KEY = "split_samples"
# Hashes kept per split: the smallest ones (a bottom-k sketch), so that the overlap of a larger split
# is estimated from the same share of every split. 8 bytes each: at most 800 kB per split.
KEPT_HASHES = 100_000
# The splits a checkpoint learned from, and what each evaluation must not have seen: validation
# chose the best checkpoint, so a test on validation samples is optimistic as well.
SEEN_BEFORE = {"validate": ("train",), "test": ("train", "val")}
EVALUATED_SPLIT = {"validate": "val", "test": "test"}


def sample_hashes(ids: list[str]) -> torch.Tensor:
    """Each sample's 63-bit hash, sorted."""
    hashes = [int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") >> 1 for name in ids]
    return torch.tensor(sorted(hashes), dtype=torch.int64)


def split_record(ids: list[str]) -> dict[str, Any]:
    """A split's size and the smallest `KEPT_HASHES` hashes of its sample ids."""
    return {"count": len(ids), "hashes": sample_hashes(ids)[:KEPT_HASHES]}


def shared_samples(record: dict[str, Any], ids: list[str]) -> int:
    """How many of `ids` the recorded split holds: counted exactly when the record kept every hash,
    else estimated from the hashes below the largest one kept."""
    kept = record["hashes"]
    if len(kept) == 0:
        return 0
    hashes = sample_hashes(ids)
    complete = record["count"] == len(kept)
    threshold = kept[-1]
    candidates = hashes if complete else hashes[hashes <= threshold]
    found = int(torch.isin(candidates, kept).sum())
    if complete or len(candidates) == 0:
        return found
    return round(found * len(hashes) / len(candidates))


def recorded_splits(checkpoint: str | Path) -> dict[str, Any] | None:
    """The record a checkpoint holds; None for one saved before checkpoints held it."""
    return torch.load(checkpoint, map_location="cpu", weights_only=True).get(RECORD_KEY)


class SplitOverlapCheck(Callback):
    """Keep in every checkpoint which samples trained and validated it, and refuse to validate or test
    a checkpoint on samples it learned from (its `recorded` splits) unless `allow_overlap`.

    Args:
        recorded: The splits recorded in the checkpoint being evaluated (`recorded_splits`); None when
            training, or for a checkpoint without a record.
        allow_overlap: Evaluate anyway, with a warning of how many samples were seen before.
        option: How the command line names `checkpoint`, for the message.
    """

    def __init__(self, recorded: dict[str, Any] | None = None, allow_overlap: bool = False, option: str = "") -> None:
        self.recorded = recorded
        self.allow_overlap = allow_overlap
        self.option = option
        self.record: dict[str, Any] | None = None

    def split_ids(self, trainer: Trainer, split: str) -> list[str]:
        datamodule = trainer.datamodule
        return [datamodule.sample_ids[position] for position in getattr(datamodule.split_indices, split)]

    def on_save_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        if self.record is None:  # the splits stay as they are for the whole fit
            self.record = {split: split_record(self.split_ids(trainer, split)) for split in ("train", "val")}
        checkpoint[RECORD_KEY] = self.record

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if not self.recorded or stage not in SEEN_BEFORE:
            return
        evaluated = EVALUATED_SPLIT[stage]
        ids = self.split_ids(trainer, evaluated)
        for split in SEEN_BEFORE[stage]:
            shared = shared_samples(self.recorded[split], ids) if split in self.recorded else 0
            if not shared:
                continue
            message = (
                f"{self.option}: {shared} of the {len(ids)} {evaluated} samples were {split} samples of this "
                "checkpoint (the data or the split options changed since it trained), so its score would be "
                "optimistic."
            )
            if not self.allow_overlap:
                raise ValueError(f"{message} Pass --allow_overlap true to evaluate it anyway.")
            rank_zero_warn(message)
