"""What the classification models share: a class-weighted loss, accuracy and macro F1."""

from __future__ import annotations

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
