"""Random split into train, val and test fractions, stable as the data set grows."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence

from .splitting import Split, SplitIndices


def unit_draw(seed: int, sample_id: str) -> float:
    """A number in [0, 1) that depends on `seed` and `sample_id` alone.

    sha256 rather than Python's `hash()`, which is salted per process: every machine
    and every process of a distributed run draws the same number.
    """
    digest = hashlib.sha256(f"{seed}:{sample_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class RandomSplit(Split):
    """Put each sample in test, val or train by a hash of `seed` and its id.

    A sample's split depends on its own id only, not on its position or on the other
    samples: adding samples never moves an existing one to another split, and the order
    the samples are listed in does not matter. Each sample lands in test with probability
    `test_fraction` and in val with probability `val_fraction`, so the split sizes match
    the fractions only approximately (closely for large data sets).
    """

    def __init__(self, val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 42) -> None:
        if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ValueError(
                f"val_fraction={val_fraction} and test_fraction={test_fraction} must each lie in (0, 1) "
                "and leave a training fraction: their sum must be below 1."
            )
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.seed = seed

    def split_of(self, sample_id: str) -> str:
        """The split ("train", "val" or "test") of the sample named `sample_id`."""
        draw = unit_draw(self.seed, sample_id)
        if draw < self.test_fraction:
            return "test"
        if draw < self.test_fraction + self.val_fraction:
            return "val"
        return "train"

    def assign(self, sample_ids: Sequence[str], labels: Sequence[Hashable]) -> SplitIndices:
        members: dict[str, list[int]] = {"train": [], "val": [], "test": []}
        for position, sample_id in enumerate(sample_ids):
            members[self.split_of(sample_id)].append(position)
        empty = [name for name, positions in members.items() if not positions]
        if empty:
            # Refused here: an empty val or test set would fail later, deep inside Lightning.
            counts = ", ".join(f"{len(positions)} {name}" for name, positions in members.items())
            raise ValueError(
                f"The random split of {len(sample_ids)} samples (val_fraction={self.val_fraction}, "
                f"test_fraction={self.test_fraction}, seed={self.seed}) gives {counts}: the {' and '.join(empty)} "
                "split would be empty. Add samples, raise the empty split's fraction or change the seed."
            )
        return SplitIndices(members["train"], members["val"], members["test"])
