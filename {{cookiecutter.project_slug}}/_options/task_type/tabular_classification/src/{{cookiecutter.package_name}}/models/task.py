"""The LightningModule for tabular classification."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from lightning.pytorch.cli import OptimizerCallable

from ..plots.class_figures import ClassFigures
from .classification import accuracy_and_f1, class_answers, class_outputs, weighted_cross_entropy
from .supervised import Schedule
from .tabular import TabularModel


class TabularClassifier(TabularModel):
    """Classify table rows into `class_names` with an MLP beside a linear layer (wide and deep) and a
    class-weighted cross-entropy loss.

    Args:
        class_names: The classes, in the order of the outputs (linked from the data module).
        numeric_columns: The numeric feature columns, in input order (linked).
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
        class_weights: Loss weight of each class (linked).
        balance_classes: Weigh each class's loss with `class_weights`; false: every class weighs 1.
        hidden_sizes: Width of each hidden layer of the MLP.
        dropout: Dropout probability after each hidden layer.
        max_embedding_dim: Widest embedding of a categorical column.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: The learning-rate schedule: "cosine" over the run, a scheduler, or None.
    """

    def __init__(
        self,
        class_names: list[str],
        numeric_columns: list[str],
        vocabularies: dict[str, list[str]],
        numeric_mean: list[float] | None = None,
        numeric_std: list[float] | None = None,
        date_columns: dict[str, str] | None = None,
        numeric_fill: list[float] | None = None,
        missing_indicators: list[str] | None = None,
        linear: bool = True,
        class_weights: list[float] | None = None,
        balance_classes: bool = True,
        hidden_sizes: tuple[int, ...] = (128, 64),
        dropout: float = 0.3,
        max_embedding_dim: int = 16,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: Schedule = "cosine",
    ) -> None:
        super().__init__(
            weighted_cross_entropy(class_weights if balance_classes else None),
            accuracy_and_f1(len(class_names)),
            optimizer,
            scheduler,
            len(class_names),
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
        self.class_names = list(class_names)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Logits, (N, classes), of the inputs in the order of `input_names`."""
        return self.outputs(inputs)

    def test_figures(self) -> ClassFigures:
        return ClassFigures(self.class_names)

    def infer(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self(inputs).softmax(dim=-1)

    def answers(self, predictions: torch.Tensor, batch: Any = None) -> list[dict[str, Any]]:
        return class_answers(predictions, self.class_names)

    def export_info(self) -> dict[str, Any]:
        return {
            "task": "tabular_classification",
            "classes": self.class_names,
            "inputs": self.input_info(),
            "outputs": class_outputs(self.class_names),
        }
