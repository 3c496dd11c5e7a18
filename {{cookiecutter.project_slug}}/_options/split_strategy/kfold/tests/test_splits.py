"""The k-fold split: a fixed test set, folds that partition the rest, stratified."""

from __future__ import annotations

from collections import Counter

import pytest
from lightning.pytorch import seed_everything

from {{ cookiecutter.package_name }}.data.splits import KFoldSplit

LABELS = [0] * 120 + [1] * 60 + [2] * 20
SAMPLE_IDS = [f"class{label}/{i}.png" for i, label in enumerate(LABELS)]


def assign_all(num_folds: int = 4) -> list:
    return [
        KFoldSplit(num_folds=num_folds, fold=k, test_fraction=0.1).assign(SAMPLE_IDS, LABELS) for k in range(num_folds)
    ]


def test_each_fold_is_disjoint_and_complete() -> None:
    for train, val, test in assign_all():
        assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
        assert sorted(train + val + test) == list(range(len(SAMPLE_IDS)))


def test_test_set_is_the_same_for_every_fold() -> None:
    assert len({tuple(split.test) for split in assign_all()}) == 1


def test_validation_folds_partition_the_non_test_data() -> None:
    splits = assign_all()
    validated = [i for split in splits for i in split.val]
    assert sorted(validated) == sorted(set(range(len(SAMPLE_IDS))) - set(splits[0].test))


def test_folds_keep_the_class_proportions() -> None:
    for split in assign_all():
        counts = Counter(LABELS[i] for i in split.val)
        assert counts[0] / len(split.val) == pytest.approx(0.6, abs=0.05)


def test_split_seed_alone_decides_the_split() -> None:
    seed_everything(1)
    first = KFoldSplit(fold=1, seed=7).assign(SAMPLE_IDS, LABELS)
    seed_everything(2)
    assert KFoldSplit(fold=1, seed=7).assign(SAMPLE_IDS, LABELS) == first
    assert KFoldSplit(fold=1, seed=8).assign(SAMPLE_IDS, LABELS) != first


def test_fold_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="fold=5 is out of range"):
        KFoldSplit(num_folds=5, fold=5)


def test_a_class_too_small_for_the_test_set_and_every_fold_is_named() -> None:
    labels = ["cat"] * 30 + ["dog"] * 30 + ["lynx"] * 4
    with pytest.raises(ValueError, match=r"class 'lynx' \(4\): a stratified split needs at least 6 of each class"):
        KFoldSplit(num_folds=5).assign([f"{i}.png" for i in range(len(labels))], labels)
