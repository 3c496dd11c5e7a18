"""The LightningModule for text classification."""

from __future__ import annotations

from typing import Literal

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn

from .classification import accuracy_and_f1, weighted_cross_entropy
from .encoders import build_encoder
from .supervised import SupervisedModule


class TextClassifier(SupervisedModule):
    """Classify token id sequences into `num_classes` classes with a class-weighted cross-entropy loss.

    Token embeddings go through an encoder that ignores the padding (`pad_id`), then a
    linear layer gives one logit per class.

    Args:
        vocab_size: Size of the embedding table (linked from the data module).
        num_classes: Number of classes (linked from the data module).
        pad_id: The padding token id, masked out (linked from the data module).
        class_weights: Loss weight of each class (linked from the data module).
        encoder: `bag` (mean of the embeddings), `cnn` (1D convolutions, max-pooled) or
            `transformer` (a small transformer encoder, mean-pooled).
        embed_dim: Size of the token embeddings.
        hidden_dim: Size of the encoder's output (the transformer's feed-forward size too).
        num_layers: Transformer layers (transformer only).
        num_heads: Attention heads (transformer only); must divide `embed_dim`.
        max_positions: Longest sequence the transformer takes (transformer only).
        dropout: Dropout rate in the encoder and before the output layer.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: Builds the learning-rate scheduler from the optimizer; None for a constant rate.
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        pad_id: int = 0,
        class_weights: list[float] | None = None,
        encoder: Literal["bag", "cnn", "transformer"] = "bag",
        embed_dim: int = 64,
        hidden_dim: int = 64,
        num_layers: int = 2,
        num_heads: int = 4,
        max_positions: int = 512,
        dropout: float = 0.1,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        super().__init__(weighted_cross_entropy(class_weights), accuracy_and_f1(num_classes), optimizer, scheduler)
        self.save_hyperparameters()
        self.pad_id = pad_id
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.encoder = build_encoder(encoder, embed_dim, hidden_dim, dropout, num_layers, num_heads, max_positions)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_dim, num_classes))

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Logits, (batch, num_classes), of token ids padded with `pad_id`, (batch, length)."""
        mask = token_ids != self.pad_id
        return self.head(self.encoder(self.embedding(token_ids), mask))

    def predict_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        token_ids, _ = batch
        return self(token_ids).softmax(dim=-1)
