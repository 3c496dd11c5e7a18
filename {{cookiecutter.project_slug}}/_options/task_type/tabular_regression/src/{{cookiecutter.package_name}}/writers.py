"""Predictions of the tabular regressor as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from lightning.pytorch import Trainer

from .prediction import CSVPredictionWriter


class RegressionPredictionWriter(CSVPredictionWriter):
    """One row per data row: its id (the id column's value, or its row number in the
    file) and the prediction, in the target's own units."""

    header = ("id", "prediction")

    def rows(
        self, trainer: Trainer, predictions: Sequence[torch.Tensor], batch_indices: Sequence[Sequence[int]]
    ) -> Iterator[tuple[str, float]]:
        row_ids = trainer.datamodule.predict_dataset.row_ids
        for values, indices in zip(predictions, batch_indices, strict=True):
            for index, value in zip(indices, values.tolist(), strict=True):
                yield row_ids[index], value
