"""Predictions of the tabular classifier as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from lightning.pytorch import Trainer

from .prediction import CSVPredictionWriter


class TabularPredictionWriter(CSVPredictionWriter):
    """One row per input row: its id (the id column's value, else its row number in the
    CSV file, 0 for the first row after the header), the predicted class and its probability."""

    header = ("row_id", "predicted_class", "probability")

    def rows(
        self, trainer: Trainer, predictions: Sequence[torch.Tensor], batch_indices: Sequence[Sequence[int]]
    ) -> Iterator[tuple[str, str, float]]:
        datamodule = trainer.datamodule
        row_ids = datamodule.predict_dataset.row_ids
        for probabilities, indices in zip(predictions, batch_indices, strict=True):
            confidence, predicted = probabilities.max(dim=-1)
            for index, class_index, probability in zip(indices, predicted.tolist(), confidence.tolist(), strict=True):
                yield row_ids[index], datamodule.class_names[class_index], round(probability, 6)
