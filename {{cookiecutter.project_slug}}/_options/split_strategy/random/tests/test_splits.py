"""The random split: disjoint, complete, sized by its fractions, fixed by its own seed and
each sample's id, so that growing the data set never moves a sample to another split."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from lightning.pytorch import seed_everything

from {{ cookiecutter.package_name }}.data.splits import RandomSplit

SAMPLE_IDS = [f"class{i % 3}/{i}.png" for i in range(2000)]
LABELS = [i % 3 for i in range(2000)]


def split_by_id(split: RandomSplit, sample_ids: Sequence[str]) -> dict[str, str]:
    """Each sample's split, by its id: positions shift when samples are added, ids do not."""
    indices = split.assign(sample_ids, [0] * len(sample_ids))
    return {sample_ids[position]: name for name, positions in indices._asdict().items() for position in positions}


def test_splits_are_disjoint_and_complete() -> None:
    train, val, test = RandomSplit(val_fraction=0.2, test_fraction=0.1).assign(SAMPLE_IDS, LABELS)
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    assert sorted(train + val + test) == list(range(len(SAMPLE_IDS)))
    assert train == sorted(train) and val == sorted(val) and test == sorted(test)


def test_split_sizes_follow_the_fractions() -> None:
    """Each sample draws its split on its own, so the sizes match the fractions approximately."""
    train, val, test = RandomSplit(val_fraction=0.2, test_fraction=0.1).assign(SAMPLE_IDS, LABELS)
    total = len(SAMPLE_IDS)
    assert len(val) / total == pytest.approx(0.2, abs=0.03)
    assert len(test) / total == pytest.approx(0.1, abs=0.03)
    assert len(train) / total == pytest.approx(0.7, abs=0.03)


def test_split_seed_alone_decides_the_split() -> None:
    seed_everything(1)
    first = RandomSplit(seed=7).assign(SAMPLE_IDS, LABELS)
    seed_everything(2)
    assert RandomSplit(seed=7).assign(SAMPLE_IDS, LABELS) == first
    assert RandomSplit(seed=8).assign(SAMPLE_IDS, LABELS) != first


def test_the_order_of_the_samples_does_not_matter() -> None:
    shuffled = SAMPLE_IDS.copy()
    random.Random(0).shuffle(shuffled)
    assert split_by_id(RandomSplit(), shuffled) == split_by_id(RandomSplit(), SAMPLE_IDS)


def test_adding_samples_never_moves_a_sample_to_another_split() -> None:
    old = [f"class{i % 3}/{i:05d}.png" for i in range(600)]
    appended = [f"class{i % 3}/{i:05d}.png" for i in range(600, 900)]
    interleaved = [f"class{i % 3}/{i:05d}b.png" for i in range(0, 600, 2)]
    grown = sorted(old + appended + interleaved)  # old samples now sit at other positions
    before = split_by_id(RandomSplit(), old)
    after = split_by_id(RandomSplit(), grown)
    assert {sample: after[sample] for sample in old} == before
    assert set(after.values()) == {"train", "val", "test"}


def test_the_split_is_the_same_in_another_process() -> None:
    """The hash is not salted per process (as Python's `hash()` is): another process, with
    another PYTHONHASHSEED, splits the same way. It loads the split's folder alone, as a
    package of its own, to skip importing torch."""
    folder = Path(sys.modules[RandomSplit.__module__].__file__).parent
    code = (
        "import json, sys, types; "
        "package = types.ModuleType('split_only'); package.__path__ = [sys.argv[1]]; "
        "sys.modules['split_only'] = package; "
        "from split_only.splits import RandomSplit; "
        "ids = json.loads(sys.stdin.read()); "
        "print(json.dumps(RandomSplit(seed=3).assign(ids, [0] * len(ids))._asdict()))"
    )
    sample_ids = SAMPLE_IDS[:300]
    result = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        input=json.dumps(sample_ids),
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == RandomSplit(seed=3).assign(sample_ids, [0] * len(sample_ids))._asdict()


def test_a_split_left_empty_is_refused() -> None:
    with pytest.raises(ValueError, match=r"of 1 samples .*val_fraction=0.15, test_fraction=0.15.*would be empty"):
        RandomSplit().assign(["class0/0.png"], [0])


@pytest.mark.parametrize(("val_fraction", "test_fraction"), [(0.6, 0.5), (0.0, 0.2), (0.2, 1.0)])
def test_fractions_that_leave_no_training_data_are_refused(val_fraction: float, test_fraction: float) -> None:
    with pytest.raises(ValueError, match=f"val_fraction={val_fraction} and test_fraction={test_fraction}"):
        RandomSplit(val_fraction=val_fraction, test_fraction=test_fraction)
