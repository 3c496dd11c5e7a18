"""Write what `predict` returns to a CSV file in the run's folder."""

from __future__ import annotations

import csv
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import BasePredictionWriter
from lightning.pytorch.utilities import rank_zero_info

from .runs import run_dir


class CSVPredictionWriter(BasePredictionWriter, ABC):
    """Collect the predictions of a `predict` run and write them as one CSV file.

    Args:
        output_file: Where to write. None: `predictions.csv` in the run's folder.
            Each process of a distributed run writes its own `-rank<N>` file.
    """

    header: Sequence[str]

    def __init__(self, output_file: str | None = None) -> None:
        super().__init__(write_interval="epoch")
        self.output_file = output_file

    @abstractmethod
    def rows(
        self, trainer: Trainer, predictions: Sequence[Any], batch_indices: Sequence[Sequence[int]]
    ) -> Iterable[Sequence[Any]]:
        """One CSV row per sample, in the order of `header`."""

    def write_on_epoch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        predictions: Sequence[Any],
        batch_indices: Sequence[Any],
    ) -> None:
        path = Path(self.output_file) if self.output_file else run_dir(trainer) / "predictions.csv"
        if trainer.world_size > 1:
            path = path.with_stem(f"{path.stem}-rank{trainer.global_rank}")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(self.header)
            # Lightning nests the batch indices by dataloader; predict uses one.
            writer.writerows(self.rows(trainer, predictions, batch_indices[0]))
        rank_zero_info(f"Predictions written to {path}")
