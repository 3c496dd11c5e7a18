"""Predictions of the tabular regressor as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from .models import TabularRegressor
from .prediction import CSVPredictionWriter


class ValuePredictionWriter(CSVPredictionWriter):
    """One row per table row: its id (the id column's value, else its number in the file, 0 for the
    first row after the header) and the prediction, in the target's units."""

    header = ("row_id", "prediction")

    def rows(
        self, model: TabularRegressor, names: Sequence[str], predictions: torch.Tensor
    ) -> Iterator[tuple[str, float]]:
        for row_id, answer in zip(names, model.answers(predictions.float().cpu()), strict=True):
            yield row_id, answer["value"]
