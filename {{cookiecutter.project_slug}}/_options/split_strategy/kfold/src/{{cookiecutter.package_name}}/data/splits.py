"""K-fold cross-validation with a held-out test set."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from sklearn.model_selection import StratifiedKFold, train_test_split

from .splitting import Split, SplitIndices
from .stratify import require_stratifiable


class KFoldSplit(Split):
    """Hold out `test_fraction` as the test set first, then cut the rest into
    `num_folds` stratified folds: fold number `fold` validates, the others train.

    The test set does not depend on `fold`, so the folds' test scores compare.
    """

    def __init__(self, num_folds: int = 5, fold: int = 0, test_fraction: float = 0.15, seed: int = 42) -> None:
        if num_folds < 2:
            raise ValueError(f"num_folds={num_folds}: k-fold cross-validation needs at least 2 folds.")
        if not 0 <= fold < num_folds:
            raise ValueError(
                f"fold={fold} is out of range: folds are numbered 0 to {num_folds - 1} (num_folds={num_folds})."
            )
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction={test_fraction} must lie in (0, 1).")
        self.num_folds = num_folds
        self.fold = fold
        self.test_fraction = test_fraction
        self.seed = seed

    def assign(self, sample_ids: Sequence[str], labels: Sequence[Hashable]) -> SplitIndices:
        require_stratifiable(
            labels,
            self.num_folds + 1,
            f"one for the test set and one in each of the {self.num_folds} folds",
            {"test": self.test_fraction},
        )
        positions = list(range(len(sample_ids)))
        rest, test = train_test_split(positions, test_size=self.test_fraction, random_state=self.seed, stratify=labels)
        folds = StratifiedKFold(n_splits=self.num_folds, shuffle=True, random_state=self.seed)
        train, val = list(folds.split(rest, [labels[i] for i in rest]))[self.fold]
        return SplitIndices(sorted(rest[i] for i in train), sorted(rest[i] for i in val), sorted(test))
