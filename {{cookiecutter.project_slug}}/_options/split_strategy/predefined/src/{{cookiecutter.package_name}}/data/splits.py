"""Predefined split: the data folder holds `train/`, `val/` and `test/`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from .splitting import Split, SplitIndices

SPLIT_FOLDERS = ("train", "val", "test")


class PredefinedSplit(Split):
    """Take each sample's split from the first folder of its path:
    `train/<class>/x.png` trains, `val/...` validates, `test/...` tests."""

    def assign(self, sample_ids: Sequence[str], labels: Sequence[int]) -> SplitIndices:
        members: dict[str, list[int]] = {name: [] for name in SPLIT_FOLDERS}
        for position, sample_id in enumerate(sample_ids):
            folder = PurePath(sample_id).parts[0]
            if folder not in members:
                raise ValueError(
                    f"{sample_id} is outside the split folders: with the predefined split every "
                    f"sample sits under one of {', '.join(f'{name}/' for name in SPLIT_FOLDERS)}."
                )
            members[folder].append(position)
        empty = [name for name, positions in members.items() if not positions]
        if empty:
            raise ValueError(f"The predefined split has no samples in {', '.join(f'{name}/' for name in empty)}.")
        return SplitIndices(members["train"], members["val"], members["test"])
