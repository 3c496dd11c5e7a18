"""Write what `predict` returns to a CSV file in the run's folder, batch by batch, and the inputs
skipped because they could not be read to a CSV file beside it."""

from __future__ import annotations

import csv
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import BasePredictionWriter
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn

from ..models.supervised import SupervisedModule
from ..training.runs import run_dir

SHOWN = 5  # skipped inputs named in the output


class CSVPredictionWriter(BasePredictionWriter, ABC):
    """Write one CSV row per predicted sample, from the model's own answers (its class names,
    its target's units): the checkpoint's, not those of the data at hand.

    Inputs that the data module skipped (`predict_skipped`: (input, why) for each, such as a file
    that is not an image) are listed in `<stem>-skipped.csv` beside the predictions (`predictions-skipped.csv`)
    and named in one line of the output; a listing left there by an earlier run is removed.

    Args:
        output_file: Where to write. None: `predictions.csv` in the run's folder.
            Each process of a distributed run writes its own `-rank<N>` file.
    """

    header: Sequence[str]

    def __init__(self, output_file: str | None = None) -> None:
        super().__init__(write_interval="batch")
        self.output_file = output_file

    @abstractmethod
    def rows(self, model: SupervisedModule, names: Sequence[Any], predictions: Any) -> Iterable[Sequence[Any]]:
        """One row per sample, in the order of `header`: `names` says what each sample is (`names_of`)."""

    def names_of(self, trainer: Trainer, indices: Sequence[int]) -> list[Any]:
        """What says what each sample at `indices` is: its entry of the data module's `predict_names`."""
        names = trainer.datamodule.predict_names
        return [names[index] for index in indices]

    def on_predict_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        path = Path(self.output_file) if self.output_file else run_dir(trainer) / "predictions.csv"
        skipped = path.with_stem(f"{path.stem}-skipped")
        if trainer.world_size > 1:
            path = path.with_stem(f"{path.stem}-rank{trainer.global_rank}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file = path.open("w", newline="")
        self.writer = csv.writer(self.file, lineterminator="\n")
        self.writer.writerow(self.header)
        self.list_skipped(trainer, skipped)

    def list_skipped(self, trainer: Trainer, listing: Path) -> None:
        """Write the inputs the data module skipped to `listing` and name them in one line (rank zero
        alone: every process skips the same); remove an earlier listing when none was skipped."""
        if trainer.global_rank != 0:
            return
        skipped = trainer.datamodule.predict_skipped
        if not skipped:
            listing.unlink(missing_ok=True)
            return
        with listing.open("w", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(("input", "reason"))
            writer.writerows(skipped)
        shown = ", ".join(str(name) for name, _ in skipped[:SHOWN])
        more = f", ... ({len(skipped)} in all)" if len(skipped) > SHOWN else ""
        rank_zero_warn(
            f"Skipped {len(skipped)} input(s) that could not be read, the others predicted: {shown}{more}; "
            f"each is listed with why in {listing}."
        )

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
        self.writer.writerows(self.rows(pl_module, self.names_of(trainer, batch_indices), prediction))

    def on_predict_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.file.close()
        rank_zero_info(f"Predictions written to {self.path}")

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if hasattr(self, "file"):
            self.file.close()
