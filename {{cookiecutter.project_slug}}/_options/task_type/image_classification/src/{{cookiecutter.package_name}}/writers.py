"""Predictions of the image classifier as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from .models import ImageClassifier
from .prediction import CSVPredictionWriter


class ClassPredictionWriter(CSVPredictionWriter):
    """One row per image: its path, the predicted class and that class's probability."""

    header = ("path", "predicted_class", "probability")

    def rows(
        self, model: ImageClassifier, names: Sequence[str], predictions: torch.Tensor
    ) -> Iterator[tuple[str, str, float]]:
        for path, answer in zip(names, model.answers(predictions.float().cpu()), strict=True):
            yield path, answer["label"], round(answer["probabilities"][answer["label"]], 6)
