"""The LightningModule for tabular regression: an MLP over scaled numbers and category embeddings."""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score

from .supervised import SupervisedModule

Inputs = tuple[torch.Tensor, torch.Tensor]


class StandardizedMSELoss(nn.Module):
    """Mean squared error in standardized target units (divided by the training target's
    standard deviation), so that the loss's scale does not depend on the target's units."""

    def __init__(self, target_std: float) -> None:
        super().__init__()
        self.register_buffer("target_std", torch.tensor(target_std, dtype=torch.float32))

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(predictions / self.target_std, targets / self.target_std)


class TabularRegressor(SupervisedModule):
    """Predict a numeric target from numeric features and categorical features.

    Numeric features are scaled with the training rows' mean and standard deviation;
    each categorical column is embedded (index 0: a category no training row had).
    The network predicts the target in normalised units (minus the training mean,
    over the training standard deviation) and is trained with the mean squared error
    there; `forward` and every metric but the loss are in the target's own units.

    Args:
        num_features: Number of numeric feature columns (linked from the data module).
        feature_mean: Training mean of each numeric feature (linked).
        feature_std: Training standard deviation of each numeric feature (linked).
        target_mean: Training mean of the target (linked).
        target_std: Training standard deviation of the target (linked).
        category_sizes: Embedding rows of each categorical column, unknown included (linked).
        num_targets: Number of targets (linked; the data module gives one).
        hidden_sizes: Width of each hidden layer of the MLP.
        embedding_dim: Size of each category embedding.
        dropout: Dropout after each hidden layer.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: Builds the learning-rate scheduler from the optimizer; None for a constant rate.
    """

    def __init__(
        self,
        num_features: int,
        feature_mean: list[float] | None = None,
        feature_std: list[float] | None = None,
        target_mean: float = 0.0,
        target_std: float = 1.0,
        category_sizes: list[int] | None = None,
        num_targets: int = 1,
        hidden_sizes: tuple[int, ...] = (64, 64),
        embedding_dim: int = 4,
        dropout: float = 0.2,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        metrics = MetricCollection(
            {
                "mae": MeanAbsoluteError(),
                "rmse": MeanSquaredError(squared=False),
                "r2": R2Score(),
            }
        )
        super().__init__(StandardizedMSELoss(target_std), metrics, optimizer, scheduler)
        self.save_hyperparameters()
        feature_mean = [0.0] * num_features if feature_mean is None else feature_mean
        feature_std = [1.0] * num_features if feature_std is None else feature_std
        if not len(feature_mean) == len(feature_std) == num_features:
            raise ValueError(
                f"num_features={num_features}, but feature_mean has {len(feature_mean)} values "
                f"and feature_std {len(feature_std)}: give one per numeric feature."
            )
        if target_std <= 0 or any(std <= 0 for std in feature_std):
            raise ValueError("target_std and every feature_std must be positive.")
        category_sizes = list(category_sizes or [])
        if num_features + len(category_sizes) == 0:
            raise ValueError("The model needs at least one numeric or categorical feature.")
        self.num_targets = num_targets
        self.register_buffer("feature_mean", torch.tensor(feature_mean, dtype=torch.float32))
        self.register_buffer("feature_std", torch.tensor(feature_std, dtype=torch.float32))
        self.register_buffer("target_mean", torch.tensor(target_mean, dtype=torch.float32))
        self.register_buffer("target_std", torch.tensor(target_std, dtype=torch.float32))
        self.embeddings = nn.ModuleList(nn.Embedding(size, embedding_dim) for size in category_sizes)
        layers: list[nn.Module] = []
        width = num_features + embedding_dim * len(category_sizes)
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, num_targets))
        self.network = nn.Sequential(*layers)

    def normalized(self, inputs: Inputs) -> torch.Tensor:
        """Predictions in normalised target units, shape (batch,) for one target, else (batch, targets)."""
        numeric, categories = inputs
        parts = [(numeric - self.feature_mean) / self.feature_std]
        parts += [embedding(categories[:, column]) for column, embedding in enumerate(self.embeddings)]
        output = self.network(torch.cat(parts, dim=-1))
        return output.squeeze(-1) if self.num_targets == 1 else output

    def forward(self, inputs: Inputs) -> torch.Tensor:
        """Predictions in the target's own units."""
        return self.normalized(inputs) * self.target_std + self.target_mean

    def predict_step(self, batch: tuple[Inputs, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, _ = batch
        return self(inputs)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Take the checkpoint's embedding sizes: the data module restores the checkpoint's
        vocabularies, which may differ in size from those fitted on the data now (another split)."""
        state = checkpoint["state_dict"]
        saved = sum(1 for name in state if name.startswith("embeddings.") and name.endswith(".weight"))
        numeric = state["feature_mean"].numel() if "feature_mean" in state else self.feature_mean.numel()
        if saved != len(self.embeddings) or numeric != self.feature_mean.numel():
            raise ValueError(
                f"The checkpoint was trained on {numeric} numeric and {saved} categorical feature columns; "
                f"the data now has {self.feature_mean.numel()} and {len(self.embeddings)}."
            )
        for column, embedding in enumerate(self.embeddings):
            weight = state[f"embeddings.{column}.weight"]
            if weight.shape != embedding.weight.shape:
                self.embeddings[column] = nn.Embedding(*weight.shape).to(embedding.weight)
        self.hparams["category_sizes"] = [embedding.num_embeddings for embedding in self.embeddings]
