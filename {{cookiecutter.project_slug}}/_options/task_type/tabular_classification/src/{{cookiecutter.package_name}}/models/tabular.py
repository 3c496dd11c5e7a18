"""The LightningModule for tabular classification: an MLP over scaled numbers and category embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn

from .classification import accuracy_and_f1, weighted_cross_entropy
from .supervised import SupervisedModule


def embedding_size(cardinality: int, max_embedding_dim: int) -> int:
    """Half the categories (the unknown one included), rounded up, at most `max_embedding_dim`."""
    return max(1, min(max_embedding_dim, (cardinality + 2) // 2))


class TabularClassifier(SupervisedModule):
    """Classify table rows with an MLP and a class-weighted cross-entropy loss.

    Numeric features are standardized with the training split's mean and standard
    deviation, kept in buffers (so the checkpoint carries them); each categorical column
    has an embedding with one row per training category plus row 0 for unknown ones.

    Args:
        num_features: Number of numeric feature columns (linked from the data module).
        num_classes: Number of classes (linked).
        class_weights: Loss weight of each class (linked).
        category_cardinalities: Number of training categories of each categorical column (linked).
        numeric_mean: Training mean of each numeric column (linked).
        numeric_std: Training standard deviation of each numeric column (linked).
        hidden_sizes: Width of each hidden layer.
        dropout: Dropout probability after each hidden layer.
        max_embedding_dim: Largest embedding of a categorical column.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: Builds the learning-rate scheduler from the optimizer; None for a constant rate.
    """

    def __init__(
        self,
        num_features: int,
        num_classes: int,
        class_weights: list[float] | None = None,
        category_cardinalities: list[int] | None = None,
        numeric_mean: list[float] | None = None,
        numeric_std: list[float] | None = None,
        hidden_sizes: tuple[int, ...] = (128, 64),
        dropout: float = 0.1,
        max_embedding_dim: int = 16,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        super().__init__(weighted_cross_entropy(class_weights), accuracy_and_f1(num_classes), optimizer, scheduler)
        self.save_hyperparameters()
        mean = [0.0] * num_features if numeric_mean is None else list(numeric_mean)
        std = [1.0] * num_features if numeric_std is None else list(numeric_std)
        if not len(mean) == len(std) == num_features:
            raise ValueError(
                f"numeric_mean ({len(mean)} values) and numeric_std ({len(std)} values) "
                f"need one value per numeric feature (num_features={num_features})."
            )
        self.register_buffer("numeric_mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("numeric_std", torch.tensor(std, dtype=torch.float32))
        self._build_layers(list(category_cardinalities or []))

    def _build_layers(self, cardinalities: Sequence[int]) -> None:
        hparams = self.hparams
        self.embeddings = nn.ModuleList(
            nn.Embedding(cardinality + 1, embedding_size(cardinality, hparams.max_embedding_dim))
            for cardinality in cardinalities
        )
        width = hparams.num_features + sum(embedding.embedding_dim for embedding in self.embeddings)
        if width == 0:
            raise ValueError("The model has no input: num_features is 0 and there are no categorical columns.")
        layers: list[nn.Module] = []
        for size in hparams.hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(hparams.dropout)]
            width = size
        layers.append(nn.Linear(width, hparams.num_classes))
        self.network = nn.Sequential(*layers)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Logits of `inputs = (numeric features, category indices)`, as the data module batches them."""
        numeric, categories = inputs
        parts = [(numeric - self.numeric_mean) / self.numeric_std]
        parts += [embedding(categories[:, column]) for column, embedding in enumerate(self.embeddings)]
        return self.network(torch.cat(parts, dim=-1))

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Take the checkpoint's embedding sizes when the data now counts other categories:
        the data module encodes categories with the checkpoint's vocabularies too."""
        saved = list(checkpoint.get("hyper_parameters", {}).get("category_cardinalities") or [])
        if saved != [embedding.num_embeddings - 1 for embedding in self.embeddings]:
            self.hparams["category_cardinalities"] = saved
            self._build_layers(saved)

    def predict_step(self, batch: tuple[Sequence[torch.Tensor], torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, _ = batch
        return self(inputs).softmax(dim=-1)
