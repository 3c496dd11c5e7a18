"""Predictions of the tabular classifier as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from .models import TabularClassifier
from .prediction import CSVPredictionWriter


class ClassPredictionWriter(CSVPredictionWriter):
    """One row per table row: its id (the id column's value, else its number in the file, 0 for the
    first row after the header), the predicted class and that class's probability."""

    header = ("row_id", "predicted_class", "probability")

    def rows(
        self, model: TabularClassifier, names: Sequence[str], predictions: torch.Tensor
    ) -> Iterator[tuple[str, str, float]]:
        for row_id, answer in zip(names, model.answers(predictions.float().cpu()), strict=True):
            yield row_id, answer["label"], round(answer["probabilities"][answer["label"]], 6)
