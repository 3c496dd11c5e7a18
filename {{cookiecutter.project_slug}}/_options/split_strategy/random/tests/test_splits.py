"""The random split: disjoint, complete, sized by its fractions, fixed by its own seed."""

from __future__ import annotations

import pytest
from lightning.pytorch import seed_everything

from {{ cookiecutter.package_name }}.data.splits import RandomSplit

SAMPLE_IDS = [f"class{i % 3}/{i}.png" for i in range(200)]
LABELS = [i % 3 for i in range(200)]


def test_splits_are_disjoint_and_complete() -> None:
    train, val, test = RandomSplit(val_fraction=0.2, test_fraction=0.1).assign(SAMPLE_IDS, LABELS)
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    assert sorted(train + val + test) == list(range(len(SAMPLE_IDS)))
    assert (len(train), len(val), len(test)) == (140, 40, 20)


def test_split_seed_alone_decides_the_split() -> None:
    seed_everything(1)
    first = RandomSplit(seed=7).assign(SAMPLE_IDS, LABELS)
    seed_everything(2)
    assert RandomSplit(seed=7).assign(SAMPLE_IDS, LABELS) == first
    assert RandomSplit(seed=8).assign(SAMPLE_IDS, LABELS) != first


@pytest.mark.parametrize(("val_fraction", "test_fraction"), [(0.6, 0.5), (0.0, 0.2), (0.2, 1.0)])
def test_fractions_that_leave_no_training_data_are_refused(val_fraction: float, test_fraction: float) -> None:
    with pytest.raises(ValueError, match=f"val_fraction={val_fraction} and test_fraction={test_fraction}"):
        RandomSplit(val_fraction=val_fraction, test_fraction=test_fraction)
