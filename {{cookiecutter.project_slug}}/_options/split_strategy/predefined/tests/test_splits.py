"""The predefined split: each sample's split is its first folder."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.data.splits import PredefinedSplit

SAMPLE_IDS = ["test/cat/1.png", "train/cat/2.png", "train/dog/3.png", "val/dog/4.png", "train/dog/5.png"]
LABELS = [0, 0, 1, 1, 1]


def test_samples_go_to_the_split_of_their_folder() -> None:
    train, val, test = PredefinedSplit().assign(SAMPLE_IDS, LABELS)
    assert (train, val, test) == ([1, 2, 4], [3], [0])


def test_sample_outside_the_split_folders_is_named() -> None:
    with pytest.raises(ValueError, match=r"extra/cat/9\.png"):
        PredefinedSplit().assign([*SAMPLE_IDS, "extra/cat/9.png"], [*LABELS, 0])


def test_missing_split_folder_is_named() -> None:
    with pytest.raises(ValueError, match="no val samples"):
        PredefinedSplit().assign(["train/a/1.png", "test/a/2.png"], [0, 0])
