"""Stratified split: every split keeps the class proportions of the whole."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from sklearn.model_selection import train_test_split

from .splitting import Split, SplitIndices
from .stratify import require_stratifiable


class StratifiedSplit(Split):
    """Cut the samples into `val_fraction`, `test_fraction` and the rest for
    training, each with the class proportions of the whole data set."""

    def __init__(self, val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 42) -> None:
        if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ValueError(
                f"val_fraction={val_fraction} and test_fraction={test_fraction} must each lie in (0, 1) "
                "and leave a training fraction: their sum must be below 1."
            )
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.seed = seed

    def assign(self, sample_ids: Sequence[str], labels: Sequence[Hashable]) -> SplitIndices:
        require_stratifiable(
            labels, 3, "one each for test, val and train", {"test": self.test_fraction, "val": self.val_fraction}
        )
        positions = list(range(len(sample_ids)))
        rest, test = train_test_split(positions, test_size=self.test_fraction, random_state=self.seed, stratify=labels)
        val_share = self.val_fraction / (1 - self.test_fraction)
        train, val = train_test_split(
            rest, test_size=val_share, random_state=self.seed, stratify=[labels[i] for i in rest]
        )
        return SplitIndices(sorted(train), sorted(val), sorted(test))
