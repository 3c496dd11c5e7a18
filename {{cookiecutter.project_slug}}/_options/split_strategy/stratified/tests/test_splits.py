"""The stratified split: disjoint, complete, class proportions kept, fixed by its own seed."""

from __future__ import annotations

from collections import Counter

import pytest
from lightning.pytorch import seed_everything

from {{ cookiecutter.package_name }}.data.splits import StratifiedSplit

# Imbalanced on purpose: 60% class 0, 30% class 1, 10% class 2.
LABELS = [0] * 120 + [1] * 60 + [2] * 20
SAMPLE_IDS = [f"class{label}/{i}.png" for i, label in enumerate(LABELS)]


def test_splits_are_disjoint_and_complete() -> None:
    train, val, test = StratifiedSplit(val_fraction=0.2, test_fraction=0.1).assign(SAMPLE_IDS, LABELS)
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    assert sorted(train + val + test) == list(range(len(SAMPLE_IDS)))


def test_every_split_keeps_the_class_proportions() -> None:
    for positions in StratifiedSplit(val_fraction=0.2, test_fraction=0.1).assign(SAMPLE_IDS, LABELS):
        counts = Counter(LABELS[i] for i in positions)
        shares = [counts[label] / len(positions) for label in (0, 1, 2)]
        assert shares == pytest.approx([0.6, 0.3, 0.1], abs=0.03)


def test_split_seed_alone_decides_the_split() -> None:
    seed_everything(1)
    first = StratifiedSplit(seed=7).assign(SAMPLE_IDS, LABELS)
    seed_everything(2)
    assert StratifiedSplit(seed=7).assign(SAMPLE_IDS, LABELS) == first
    assert StratifiedSplit(seed=8).assign(SAMPLE_IDS, LABELS) != first


@pytest.mark.parametrize(("val_fraction", "test_fraction"), [(0.6, 0.5), (0.0, 0.2), (0.2, 1.0)])
def test_fractions_that_leave_no_training_data_are_refused(val_fraction: float, test_fraction: float) -> None:
    with pytest.raises(ValueError, match=f"val_fraction={val_fraction} and test_fraction={test_fraction}"):
        StratifiedSplit(val_fraction=val_fraction, test_fraction=test_fraction)


def test_a_class_too_small_to_be_in_every_split_is_named() -> None:
    labels = ["cat"] * 20 + ["dog"] * 20 + ["lynx"] * 2
    with pytest.raises(ValueError, match=r"class 'lynx' \(2\): a stratified split needs at least 3 of each class"):
        StratifiedSplit().assign([f"{i}.png" for i in range(len(labels))], labels)


def test_a_split_too_small_for_one_of_each_class_is_refused() -> None:
    labels = [f"class{i % 8}" for i in range(40)]
    with pytest.raises(ValueError, match="The test split of 40 samples gets 2, fewer than the 8 classes"):
        StratifiedSplit(test_fraction=0.05).assign([f"{i}.png" for i in range(40)], labels)
