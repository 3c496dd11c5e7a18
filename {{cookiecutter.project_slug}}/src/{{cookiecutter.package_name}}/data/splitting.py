"""What every split strategy provides: which samples go to train, val and test."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from typing import NamedTuple


class SplitIndices(NamedTuple):
    """Positions, in the listed samples, of each split's samples."""

    train: list[int]
    val: list[int]
    test: list[int]


class Split(ABC):
    """A split strategy. A strategy that draws has a seed of its own, apart from the training
    seed, so that every process of a distributed run, whatever its training seed, gets the same split."""

    @abstractmethod
    def assign(self, sample_ids: Sequence[str], labels: Sequence[Hashable]) -> SplitIndices:
        """Split samples named `sample_ids` (paths relative to the data folder, or rows), whose
        classes are `labels` (names, which stratified strategies keep in proportion and name in
        their errors), into train, val and test."""
