"""Predictions of the text classifier as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from lightning.pytorch import Trainer

from ..models import TextClassifier
from .prediction import CSVPredictionWriter


class TextPredictionWriter(CSVPredictionWriter):
    """One row per text: its id (a hash of the text, as the training samples' ids: `text_id`; the
    test split's as `splits.csv` gives them), the text exactly as the file gives it, its true class
    (the test split's label, or the label column's of `predict_path` where it has one; empty
    otherwise), the predicted class and that class's probability."""

    header = ("sample_id", "text", "true_class", "predicted_class", "probability")

    def names_of(self, trainer: Trainer, indices: Sequence[int]) -> list[tuple[str, str, str]]:
        """Each text's (id, text, true class), from the data module's `predict_names` and `predict_samples`."""
        texts, samples = trainer.datamodule.predict_names, trainer.datamodule.predict_samples
        return [(samples[index][0], texts[index], samples[index][1]) for index in indices]

    def rows(
        self, model: TextClassifier, names: Sequence[tuple[str, str, str]], predictions: torch.Tensor
    ) -> Iterator[tuple[str, str, str, str, float]]:
        """`names`: each text's (id, text, true class)."""
        for (sample_id, text, true_class), answer in zip(names, model.answers(predictions.float().cpu()), strict=True):
            yield sample_id, text, true_class, answer["label"], round(answer["probabilities"][answer["label"]], 6)
