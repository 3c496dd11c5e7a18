"""Predictions of the text classifier as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from .models import TextClassifier
from .prediction import CSVPredictionWriter


class TextPredictionWriter(CSVPredictionWriter):
    """One row per text: the text, the predicted class and that class's probability."""

    header = ("text", "predicted_class", "probability")

    def rows(
        self, model: TextClassifier, names: Sequence[str], predictions: torch.Tensor
    ) -> Iterator[tuple[str, str, float]]:
        for text, answer in zip(names, model.answers(predictions.float().cpu()), strict=True):
            yield text, answer["label"], round(answer["probabilities"][answer["label"]], 6)
