"""A regression model's figures: its predictions against the true values, and how its errors spread."""

from __future__ import annotations

from typing import Any

import torch
from matplotlib.figure import Figure
from torchmetrics import CatMetric

from .callback import TestFigures, new_axes


class ValueFigures(TestFigures):
    """Predicted against true values with the identity line, and the distribution of the
    residuals (predicted minus true), of a regression model's predictions and a batch's `(inputs, targets)`."""

    def __init__(self) -> None:
        super().__init__()
        self.predictions = CatMetric()
        self.targets = CatMetric()

    def update(self, predictions: torch.Tensor, batch: Any) -> None:
        self.predictions.update(predictions.float())
        self.targets.update(batch[1].float())

    def compute(self) -> dict[str, Any]:
        return {
            "predictions": self.predictions.compute().cpu().numpy(),
            "targets": self.targets.compute().cpu().numpy(),
        }

    def draw(self, values: dict[str, Any]) -> dict[str, Figure]:
        predictions, targets = values["predictions"], values["targets"]
        ax = new_axes(6, 6)
        ax.scatter(targets, predictions, s=12, alpha=0.6)
        low, high = min(targets.min(), predictions.min()), max(targets.max(), predictions.max())
        ax.plot([low, high], [low, high], color="tab:red", linewidth=1, label="predicted = true")
        ax.set(xlabel="true", ylabel="predicted", title="Predicted against true values (test rows)")
        ax.grid(alpha=0.3)
        ax.legend()
        scatter = ax.figure
        residuals = predictions - targets
        ax = new_axes()
        ax.hist(residuals, bins=min(50, max(10, len(residuals) // 10)))
        ax.axvline(0, color="tab:red", linewidth=1)
        ax.set(
            xlabel="predicted - true",
            ylabel="test rows",
            title=f"Residuals: mean {residuals.mean():.4g}, standard deviation {residuals.std():.4g}",
        )
        return {"predicted_vs_true": scatter, "residuals": ax.figure}
