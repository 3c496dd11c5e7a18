"""Predefined split: the data says which samples are train, val and test."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import PurePath

from .splitting import Split, SplitIndices

SPLIT_NAMES = ("train", "val", "test")


class PredefinedSplit(Split):
    """Take each sample's split from the first part of its id: the data module names
    samples `train/...`, `val/...` or `test/...` after their folder (or `split` column)."""

    def assign(self, sample_ids: Sequence[str], labels: Sequence[Hashable]) -> SplitIndices:
        members: dict[str, list[int]] = {name: [] for name in SPLIT_NAMES}
        for position, sample_id in enumerate(sample_ids):
            split = PurePath(sample_id).parts[0]
            if split not in members:
                raise ValueError(
                    f"{sample_id} belongs to no split: with the predefined split every sample "
                    f"sits in one of {', '.join(SPLIT_NAMES)} (a folder, or the value of a split column)."
                )
            members[split].append(position)
        empty = [name for name, positions in members.items() if not positions]
        if empty:
            raise ValueError(f"The predefined split has no {' or '.join(empty)} samples.")
        return SplitIndices(members["train"], members["val"], members["test"])
