"""What every task's data module shares: a split strategy and one DataLoader per split."""

from __future__ import annotations

import os
from collections.abc import Callable

from lightning.pytorch import LightningDataModule
from lightning.pytorch.accelerators import CUDAAccelerator
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch.utils.data import DataLoader, Dataset, Sampler

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
        num_workers: Processes that load batches on each device (0: load in the main
            process; None: the CPU cores this process may use, shared among the devices
            of this machine, one left for the training loop).
    """

    def __init__(self, split: Split, batch_size: int, num_workers: int | None) -> None:
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

    def loader_workers(self) -> int:
        """`num_workers`, or when None, what this machine affords each device."""
        if self.num_workers is not None:
            return self.num_workers
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        devices_here = self.trainer.num_devices if self.trainer is not None else 1
        return max(0, cores // devices_here - 1)

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
        workers = self.loader_workers()
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
