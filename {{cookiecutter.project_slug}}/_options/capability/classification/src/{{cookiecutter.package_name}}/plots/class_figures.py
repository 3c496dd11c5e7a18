"""A classifier's figures: where it confuses classes, how well it finds each, its ROC curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAUROC,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
    MulticlassROC,
)

from .callback import TestFigures, new_axes, short

# ROC curves at this many thresholds: memory that does not grow with the test set.
ROC_THRESHOLDS = 201
# Above this many classes, a confusion matrix's cells are too small to print their numbers in.
MAX_ANNOTATED_CLASSES = 20


class ClassFigures(TestFigures):
    """The confusion matrix (counts, and each true class's row as percentages), precision, recall
    and F1 per class, and one ROC curve per class (one class against the rest), of a classifier's
    logits and a batch's `(inputs, targets)`."""

    def __init__(self, class_names: Sequence[str]) -> None:
        super().__init__()
        self.class_names = list(class_names)
        classes = len(self.class_names)
        self.confusion = MulticlassConfusionMatrix(classes)
        self.scores = MetricCollection(
            {
                "precision": MulticlassPrecision(classes, average=None),
                "recall": MulticlassRecall(classes, average=None),
                "F1": MulticlassF1Score(classes, average=None),
            }
        )
        self.roc = MulticlassROC(classes, thresholds=ROC_THRESHOLDS)
        self.auroc = MulticlassAUROC(classes, average=None, thresholds=ROC_THRESHOLDS)

    def update(self, logits: torch.Tensor, batch: Any) -> None:
        targets = batch[1]
        self.confusion.update(logits, targets)
        self.scores.update(logits, targets)
        probabilities = logits.softmax(dim=-1)
        self.roc.update(probabilities, targets)
        self.auroc.update(probabilities, targets)

    def compute(self) -> dict[str, Any]:
        return {
            "confusion": self.confusion.compute(),
            "scores": self.scores.compute(),
            "roc": self.roc.compute(),
            "auroc": self.auroc.compute(),
        }

    def draw(self, values: dict[str, Any]) -> dict[str, Figure]:
        counts = values["confusion"].cpu()
        side = 3 + 0.45 * len(self.class_names)
        annotated = len(self.class_names) <= MAX_ANNOTATED_CLASSES
        figures = {}
        for name, matrix, title in (
            ("confusion_matrix", counts, "Confusion matrix (test samples)"),
            (
                "confusion_matrix_normalized",
                (100 * counts / counts.sum(dim=1, keepdim=True).clamp(min=1)).round().long(),
                "Confusion matrix (% of each true class)",
            ),
        ):
            ax = new_axes(side, side, margins=(1.6, 1.5, 0.2, 0.4))
            self.confusion.plot(matrix, ax=ax, add_text=annotated, labels=[short(name) for name in self.class_names])
            ax.set_title(title)
            figures[name] = ax.figure
        figures["per_class_scores"] = self.draw_scores(values["scores"])
        ax = new_axes(6.4, 5.6)
        # The AUC goes into the labels: MulticlassROC.plot ignores a score given with a computed curve.
        labels = [
            f"{short(name)} AUC={auc:.3f}" for name, auc in zip(self.class_names, values["auroc"].tolist(), strict=True)
        ]
        self.roc.plot(values["roc"], ax=ax, labels=labels)
        ax.set_title("ROC curves, each class against the rest (AUC in the legend)")
        figures["roc_curves"] = ax.figure
        return figures

    def draw_scores(self, scores: dict[str, torch.Tensor]) -> Figure:
        """Precision, recall and F1 of each class, side by side."""
        ax = new_axes(max(6.4, 1 + 0.6 * len(self.class_names)), 5.6, margins=(0.9, 1.5, 0.3, 0.5))
        width = 0.8 / len(scores)
        positions = np.arange(len(self.class_names))
        for offset, name in enumerate(("precision", "recall", "F1")):
            ax.bar(positions + (offset - 1) * width, scores[name].cpu().numpy(), width, label=name)
        ax.set_xticks(positions, [short(name) for name in self.class_names], rotation=45, ha="right")
        ax.set(ylim=(0, 1.15), xlabel="class", title="Precision, recall and F1 per class (test samples)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper center", ncols=3)
        return ax.figure
