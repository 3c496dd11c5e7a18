"""The LightningModule for tabular regression."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch import nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score

from ..plots.value_figures import ValueFigures
from .supervised import Schedule
from .tabular import TabularModel


class StandardizedMSELoss(nn.Module):
    """Mean squared error in units of the training target's standard deviation: the loss's scale
    does not depend on the target's units."""

    def __init__(self, target_std: float) -> None:
        super().__init__()
        self.target_std = target_std

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(predictions, targets) / self.target_std**2


class TabularRegressor(TabularModel):
    """Predict a numeric target from table rows with an MLP beside a linear layer.

    The model predicts the target standardized (minus the training mean, over the training standard
    deviation); `forward`, the metrics and the predictions are in the target's own units.

    Args:
        numeric_columns: The numeric feature columns, in input order (linked from the data module).
        vocabularies: Each categorical column, in input order, with its training values (linked).
        numeric_mean: Training mean of each numeric input, which standardization subtracts (linked).
        numeric_std: Training standard deviation of each numeric input (linked).
        date_columns: Each date column, after the numeric columns in input order, with the format its
            dates are read in (linked); its parts are numeric inputs.
        numeric_fill: Training median of each numeric input, which a missing value is read as (linked).
        missing_indicators: The numeric and date columns whose missing values the model marks with
            an input of its own: those the training rows had missing values in (linked).
        linear: A linear layer of the same inputs beside the MLP, whose outputs add to the MLP's (wide
            and deep); false: the MLP alone.
        target_mean: Training mean of the target (linked).
        target_std: Training standard deviation of the target (linked).
        hidden_sizes: Width of each hidden layer of the MLP.
        dropout: Dropout probability after each hidden layer.
        max_embedding_dim: Widest embedding of a categorical column.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: The learning-rate schedule: "cosine" over the run, a scheduler, or None.
    """

    def __init__(
        self,
        numeric_columns: list[str],
        vocabularies: dict[str, list[str]],
        numeric_mean: list[float] | None = None,
        numeric_std: list[float] | None = None,
        date_columns: dict[str, str] | None = None,
        numeric_fill: list[float] | None = None,
        missing_indicators: list[str] | None = None,
        linear: bool = True,
        target_mean: float = 0.0,
        target_std: float = 1.0,
        hidden_sizes: tuple[int, ...] = (64, 64),
        dropout: float = 0.2,
        max_embedding_dim: int = 16,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: Schedule = "cosine",
    ) -> None:
        if target_std <= 0:
            raise ValueError(f"target_std={target_std} must be positive.")
        metrics = MetricCollection(
            {"mae": MeanAbsoluteError(), "rmse": MeanSquaredError(squared=False), "r2": R2Score()}
        )
        super().__init__(
            StandardizedMSELoss(target_std),
            metrics,
            optimizer,
            scheduler,
            1,
            numeric_columns,
            vocabularies,
            numeric_mean,
            numeric_std,
            hidden_sizes,
            dropout,
            max_embedding_dim,
            date_columns,
            numeric_fill,
            missing_indicators,
            linear,
        )
        self.save_hyperparameters(logger=False)
        # Not saved in the state dict: the hyperparameters hold them.
        self.register_buffer("target_mean", torch.tensor(target_mean, dtype=torch.float32), persistent=False)
        self.register_buffer("target_std", torch.tensor(target_std, dtype=torch.float32), persistent=False)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Predictions in the target's units, float32 (N,), of the inputs in the order of `input_names`."""
        standardized = self.outputs(inputs).squeeze(-1)
        # Scaled in float32, outside mixed precision: bf16 keeps 8 significant bits, so that values
        # near 1e6 would round to multiples of 4096, and fp16 overflows above 65504.
        with torch.autocast(device_type=standardized.device.type, enabled=False):
            return standardized.float() * self.target_std + self.target_mean

    def test_figures(self) -> ValueFigures:
        return ValueFigures()

    def infer(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self(inputs)

    def answers(self, predictions: torch.Tensor, batch: Any = None) -> list[dict[str, Any]]:
        return [{"value": value} for value in predictions.tolist()]

    def export_info(self) -> dict[str, Any]:
        return {
            "task": "tabular_regression",
            "inputs": self.input_info(),
            "outputs": [
                {
                    "name": "value",
                    "dtype": "float32",
                    "shape": ["batch"],
                    "after": "the prediction, in the target's units",
                }
            ],
        }
