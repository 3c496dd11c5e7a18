"""Write what `predict` returns to a CSV file in the run's folder, batch by batch."""

from __future__ import annotations

import csv
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import BasePredictionWriter
from lightning.pytorch.utilities import rank_zero_info

from .models.supervised import SupervisedModule
from .runs import run_dir


class CSVPredictionWriter(BasePredictionWriter, ABC):
    """Write one CSV row per predicted sample, from the model's own answers (its class names,
    its target's units): the checkpoint's, not those of the data at hand.

    Args:
        output_file: Where to write. None: `predictions.csv` in the run's folder.
            Each process of a distributed run writes its own `-rank<N>` file.
    """

    header: Sequence[str]

    def __init__(self, output_file: str | None = None) -> None:
        super().__init__(write_interval="batch")
        self.output_file = output_file

    @abstractmethod
    def rows(self, model: SupervisedModule, names: Sequence[str], predictions: Any) -> Iterable[Sequence[Any]]:
        """One row per sample, in the order of `header`: `names` says what each sample is."""

    def on_predict_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        path = Path(self.output_file) if self.output_file else run_dir(trainer) / "predictions.csv"
        if trainer.world_size > 1:
            path = path.with_stem(f"{path.stem}-rank{trainer.global_rank}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file = path.open("w", newline="")
        self.writer = csv.writer(self.file, lineterminator="\n")
        self.writer.writerow(self.header)

    def write_on_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        prediction: Any,
        batch_indices: Sequence[int] | None,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int,
    ) -> None:
        names = trainer.datamodule.predict_names
        self.writer.writerows(self.rows(pl_module, [names[index] for index in batch_indices], prediction))

    def on_predict_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.file.close()
        rank_zero_info(f"Predictions written to {self.path}")

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if hasattr(self, "file"):
            self.file.close()
