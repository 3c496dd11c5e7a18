"""What every task's data module shares: a split strategy and one DataLoader per split."""

from __future__ import annotations

from collections.abc import Callable

from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from .splitting import Split, SplitIndices


class SplitDataModule(LightningDataModule):
    """A data module whose samples `split` assigns to train, val and test.

    Subclasses provide `sample_ids` (every sample's name) and `split_indices` (the
    split's positions in it), and build `train_dataset`, `val_dataset`, `test_dataset`
    and `predict_dataset` in `setup()`; this class serves them, shuffling the training
    set only, and reports which sample went to which split.

    Args:
        split: How samples are assigned to train, val and test.
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches (0: load in the main process).
    """

    def __init__(self, split: Split, batch_size: int, num_workers: int) -> None:
        super().__init__()
        self.split = split
        self.batch_size = batch_size
        self.num_workers = num_workers

    sample_ids: list[str]
    split_indices: SplitIndices

    def split_membership(self) -> list[tuple[str, str]]:
        """(sample, split) for every sample: what a run trained, validated and tested on."""
        return [
            (self.sample_ids[position], split)
            for split, positions in self.split_indices._asdict().items()
            for position in positions
        ]

    def collate_fn(self) -> Callable | None:
        """How samples become a batch; None: PyTorch's default collation."""
        return None

    def _loader(self, dataset: Dataset, shuffle: bool = False) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            collate_fn=self.collate_fn(),
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_dataset, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_dataset)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_dataset)

    def predict_dataloader(self) -> DataLoader:
        return self._loader(self.predict_dataset)
