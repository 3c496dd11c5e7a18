"""What every task's data module shares: a split strategy, one dataset and DataLoader per split,
and the values fitted on the training split that the model receives."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from lightning.pytorch import LightningDataModule
from lightning.pytorch.accelerators import CUDAAccelerator
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch.utils.data import DataLoader, Dataset, Sampler, default_convert

from .splitting import Split, SplitIndices


def available_cores() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def reads_batches(dataset: Dataset | None) -> bool:
    """Whether `dataset` reads a whole batch at once: its `__getitems__(indices)` returns the batch."""
    return hasattr(dataset, "__getitems__")


class SplitDataModule(LightningDataModule):
    """A data module whose samples `split` assigns to train, val and test.

    Subclasses provide `sample_ids` (every sample's name), `split_indices` (the split's
    positions in it), `split_dataset` (the dataset of some of them, with the transforms of
    training or of evaluation) and `prediction_dataset`; this class builds each stage's datasets
    in `setup()`, serves them, shuffling the training set only, and reports which sample went to
    which split.

    What the data module fits on the training split and links to the model (classes, scalers,
    tokenizer: `LINKED_TO_MODEL`) are cached properties, so that `use_fitted` can replace them
    with a checkpoint's.

    Args:
        split: How samples are assigned to train, val and test.
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches on each device (0: load in the main
            process; None: 0 for datasets read from memory a batch at a time, else the CPU cores
            this process may use, shared among the devices of this machine, one left for the
            training loop).
    """

    def __init__(self, split: Split, batch_size: int, num_workers: int | None) -> None:
        super().__init__()
        self.split = split
        self.batch_size = batch_size
        self.num_workers = num_workers
        # What `prediction_dataset` left out (an input that does not decode) and why: listed beside the predictions.
        self.predict_skipped: list[tuple[str, str]] = []

    sample_ids: list[str]
    split_indices: SplitIndices
    predict_names: list[str]  # what names each predicted sample in the predictions: its file, row or line

    def split_dataset(self, positions: list[int], train: bool = False) -> Dataset:
        """The samples at `positions`, with the training transforms if `train`."""
        raise NotImplementedError

    def prediction_dataset(self) -> tuple[Dataset, list[str]]:
        """The samples to predict and their names."""
        raise NotImplementedError

    def setup(self, stage: str) -> None:
        """Build the datasets of the stage, each split's with its own transforms."""
        if stage == "fit":
            self.train_dataset = self.split_dataset(self.split_indices.train, train=True)
        if stage in ("fit", "validate"):
            self.val_dataset = self.split_dataset(self.split_indices.val)
        if stage == "test":
            self.test_dataset = self.split_dataset(self.split_indices.test)
        if stage == "predict":
            self.predict_dataset, self.predict_names = self.prediction_dataset()

    def use_fitted(self, fitted: dict[str, Any]) -> None:
        """Take the values linked to the model from a checkpoint instead of fitting them on the
        training split: data are then prepared as for that model (its classes, scalers, tokenizer),
        and predicting files reads no training data."""
        for name in fitted:
            if isinstance(getattr(type(self), name, None), property):
                raise TypeError(f"{type(self).__name__}.{name} is linked to the model: make it a cached_property.")
        # An instance attribute stands in for a cached property of the same name.
        self.__dict__.update(fitted)

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

    def loader_workers(self, dataset: Dataset | None = None) -> int:
        """`num_workers`, or when None: none for a dataset that reads whole batches
        (`reads_batches`), since passing a batch between processes costs more than reading it
        from memory (measured: half the speed); else what this machine affords each device."""
        if self.num_workers is not None:
            return self.num_workers
        if reads_batches(dataset):
            return 0
        devices_here = self.trainer.num_devices if self.trainer is not None else 1
        return max(0, available_cores() // devices_here - 1)

    def _evaluation_sampler(self, dataset: Dataset) -> Sampler | None:
        """Under DDP, give each evaluated sample to exactly one process.

        Lightning's default DistributedSampler pads the processes' shares to one length with
        repeated samples, which would count those samples twice in val and test metrics.
        """
        if self.trainer is None or self.trainer.world_size == 1:
            return None
        return UnrepeatedDistributedSampler(
            dataset, num_replicas=self.trainer.world_size, rank=self.trainer.global_rank, shuffle=False
        )

    def _loader(self, dataset: Dataset, shuffle: bool = False) -> DataLoader:
        workers = self.loader_workers(dataset)
        on_cuda = self.trainer is not None and isinstance(self.trainer.accelerator, CUDAAccelerator)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            sampler=None if shuffle else self._evaluation_sampler(dataset),
            num_workers=workers,
            # Workers live as long as the loader: no start-up cost at every epoch.
            persistent_workers=workers > 0,
            # Page-locked batches copy to a GPU asynchronously; elsewhere pinning only costs.
            pin_memory=on_cuda,
            # A batch read at once comes collated: stacking its samples again would cost more than the read.
            collate_fn=default_convert if reads_batches(dataset) else self.collate_fn(),
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_dataset, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_dataset)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_dataset)

    def predict_dataloader(self) -> DataLoader:
        return self._loader(self.predict_dataset)
