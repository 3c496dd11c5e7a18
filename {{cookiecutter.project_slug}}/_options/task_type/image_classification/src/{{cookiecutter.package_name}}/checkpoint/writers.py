"""Predictions of the image classifier as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from lightning.pytorch import Trainer

from ..models import ImageClassifier
from .prediction import CSVPredictionWriter


class ClassPredictionWriter(CSVPredictionWriter):
    """One row per image: its path; its id (its path in `predict_dir`, or in the data folder for the
    test split); its true class where the folders say it (the class folder of the test split's
    images; in `predict_dir`, the top-level folder it lies in when that is one of the model's
    classes; empty otherwise); the predicted class and that class's probability."""

    header = ("path", "sample_id", "true_class", "predicted_class", "probability")

    def names_of(self, trainer: Trainer, indices: Sequence[int]) -> list[tuple[str, str, str]]:
        """Each image's (path, id, true class), from the data module's `predict_names` and `predict_samples`."""
        paths, samples = trainer.datamodule.predict_names, trainer.datamodule.predict_samples
        return [(paths[index], *samples[index]) for index in indices]

    def rows(
        self, model: ImageClassifier, names: Sequence[tuple[str, str, str]], predictions: torch.Tensor
    ) -> Iterator[tuple[str, str, str, str, float]]:
        """`names`: each image's (path, id, true class)."""
        for (path, sample_id, true_class), answer in zip(names, model.answers(predictions.float().cpu()), strict=True):
            yield path, sample_id, true_class, answer["label"], round(answer["probabilities"][answer["label"]], 6)
