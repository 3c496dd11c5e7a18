"""Predictions of the tabular regressor as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from lightning.pytorch import Trainer

from ..models import TabularRegressor
from .prediction import CSVPredictionWriter


class ValuePredictionWriter(CSVPredictionWriter):
    """One row per table row: its id (the id column's value, else its number in the file, 0 for the
    first row after the header), its true value (the target column's, as the file writes it, where
    the rows have one: the test split's, or those of a file to predict with that column; empty
    otherwise) and the prediction, in the target's units."""

    header = ("row_id", "true_value", "prediction")

    def names_of(self, trainer: Trainer, indices: Sequence[int]) -> list[tuple[str, str]]:
        """Each row's (id, true value), from the data module's `predict_names` and `predict_targets`."""
        names, targets = trainer.datamodule.predict_names, trainer.datamodule.predict_targets
        return [(names[index], targets[index] if targets is not None else "") for index in indices]

    def rows(
        self, model: TabularRegressor, names: Sequence[tuple[str, str]], predictions: torch.Tensor
    ) -> Iterator[tuple[str, str, float]]:
        """`names`: each row's (id, true value)."""
        for (row_id, true_value), answer in zip(names, model.answers(predictions.float().cpu()), strict=True):
            yield row_id, true_value, answer["value"]
