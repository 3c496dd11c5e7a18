"""Predictions of the image classifier as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from lightning.pytorch import Trainer

from .prediction import CSVPredictionWriter


class ClassPredictionWriter(CSVPredictionWriter):
    """One row per image: its path, the predicted class name and that class's probability."""

    header = ("path", "predicted_class", "probability")

    def rows(
        self, trainer: Trainer, predictions: Sequence[torch.Tensor], batch_indices: Sequence[Sequence[int]]
    ) -> Iterator[tuple[str, str, float]]:
        datamodule = trainer.datamodule
        for probabilities, indices in zip(predictions, batch_indices, strict=True):
            confidence, predicted = probabilities.max(dim=-1)
            for index, class_index, probability in zip(indices, predicted.tolist(), confidence.tolist(), strict=True):
                yield (
                    str(datamodule.predict_files[index]),
                    datamodule.class_names[class_index],
                    round(probability, 6),
                )
