"""What the classification models share: a class-weighted loss, accuracy and macro F1, and answers
that name the classes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score


def weighted_cross_entropy(class_weights: list[float] | None) -> nn.CrossEntropyLoss:
    """Cross-entropy with one weight per class (None: every class weighs 1)."""
    weight = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
    return nn.CrossEntropyLoss(weight=weight)


def accuracy_and_f1(num_classes: int) -> MetricCollection:
    """`acc`: the share of samples classified right; `f1`: F1 averaged over classes."""
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes=num_classes, average="micro"),
            "f1": MulticlassF1Score(num_classes=num_classes, average="macro"),
        }
    )


def class_answers(probabilities: torch.Tensor, class_names: Sequence[str]) -> list[dict[str, Any]]:
    """`{"label": <most probable class>, "probabilities": {<class>: p, ...}}` for each row of `probabilities`."""
    answers = []
    for row in probabilities.tolist():
        best = max(range(len(row)), key=row.__getitem__)
        answers.append({"label": class_names[best], "probabilities": dict(zip(class_names, row, strict=True))})
    return answers


def class_outputs(class_names: Sequence[str]) -> list[dict[str, Any]]:
    """What a classifier's exported graph returns."""
    return [
        {
            "name": "probabilities",
            "dtype": "float32",
            "shape": ["batch", len(class_names)],
            "after": "column i is the probability of classes[i]; the answer is the most probable class",
        }
    ]
