"""Encoders that turn embedded tokens and their padding mask into one vector per text."""

from __future__ import annotations

import math

import torch
from torch import nn

ENCODERS = ("bag", "cnn", "transformer")


def masked_mean(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the tokens that `mask` keeps: (batch, length, dim) -> (batch, dim)."""
    weights = mask.unsqueeze(-1).to(features.dtype)
    return (features * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class BagEncoder(nn.Module):
    """The mean of the token embeddings (fastText-like), through one hidden layer."""

    def __init__(self, embed_dim: int, hidden_dim: int, dropout: float) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Dropout(dropout), nn.Linear(embed_dim, hidden_dim), nn.ReLU())

    def forward(self, embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.project(masked_mean(embedded, mask))


class ConvEncoder(nn.Module):
    """1D convolutions over the tokens (widths 3 and 5), max-pooled over the unpadded tokens."""

    def __init__(self, embed_dim: int, hidden_dim: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.convs = nn.ModuleList(
            [nn.Conv1d(embed_dim, hidden_dim // 2, width, padding=width // 2) for width in (3, 5)]
        )

    def forward(self, embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        tokens = self.dropout(embedded).transpose(1, 2)
        features = torch.cat([torch.relu(conv(tokens)) for conv in self.convs], dim=1)
        features = features.masked_fill(~mask.unsqueeze(1), float("-inf"))
        return features.max(dim=-1).values


class TransformerTextEncoder(nn.Module):
    """A small transformer encoder with sinusoidal positions, mean-pooled over the unpadded tokens."""

    def __init__(self, embed_dim: int, hidden_dim: int, dropout: float, num_layers: int, num_heads: int) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim={embed_dim} must be a multiple of num_heads={num_heads}.")
        layer = nn.TransformerEncoderLayer(
            embed_dim, num_heads, dim_feedforward=hidden_dim, dropout=dropout, batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(embed_dim)
        self.project = nn.Sequential(nn.Linear(embed_dim, hidden_dim), nn.ReLU())

    def forward(self, embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Computed for the batch's length: no longest text to fix, and the exported graph takes any length.
        positions = sinusoidal_positions(embedded.shape[1], embedded.shape[2], embedded.device)
        hidden = self.layers(embedded + positions.to(embedded.dtype), src_key_padding_mask=~mask)
        return self.project(masked_mean(self.norm(hidden), mask))


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """The sine and cosine position encodings of "Attention is all you need": (length, dim)."""
    positions = torch.arange(length, dtype=torch.float32, device=device).unsqueeze(1)
    frequencies = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / dim))
    angles = positions * frequencies
    # Sines in the even features, cosines in the odd ones.
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)[:, :dim]


def build_encoder(
    name: str, embed_dim: int, hidden_dim: int, dropout: float, num_layers: int, num_heads: int
) -> nn.Module:
    """The encoder called `name`: one of ENCODERS. Its output has `hidden_dim` features."""
    if name == "bag":
        return BagEncoder(embed_dim, hidden_dim, dropout)
    if name == "cnn":
        if hidden_dim % 2:
            raise ValueError(f"hidden_dim={hidden_dim} must be even for the cnn encoder (two convolution widths).")
        return ConvEncoder(embed_dim, hidden_dim, dropout)
    if name == "transformer":
        return TransformerTextEncoder(embed_dim, hidden_dim, dropout, num_layers, num_heads)
    raise ValueError(f"Unknown encoder {name!r}: use one of {', '.join(ENCODERS)}.")
