"""Encoders that turn token ids and their padding mask into one vector per text: one of the small
encoders here, trained from scratch (the bag of tokens and bigrams, the convolutions, the
transformer), or a pretrained Hugging Face model."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

ENCODERS = ("bag", "cnn", "transformer")
# A prime that spreads the pairs of token ids over the bigram buckets.
BIGRAM_HASH = 1_000_003


def masked_mean(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the tokens that `mask` keeps: (batch, length, dim) -> (batch, dim)."""
    weights = mask.unsqueeze(-1).to(features.dtype)
    return (features * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class BagEncoder(nn.Module):
    """fastText: the mean of the embeddings of a text's tokens and of its token bigrams (pairs of
    neighbouring tokens, hashed into `bigram_buckets` rows of their own; 0: tokens alone), through
    one hidden layer. The bigrams give the bag some word order: "not good" is not "good"."""

    def __init__(
        self, vocab_size: int, pad_id: int, embed_dim: int, hidden_dim: int, dropout: float, bigram_buckets: int
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.bigrams = nn.Embedding(bigram_buckets, embed_dim) if bigram_buckets else None
        self.project = nn.Sequential(nn.Dropout(dropout), nn.Linear(embed_dim, hidden_dim), nn.ReLU())
        self.out_features = hidden_dim
        # fastText's initialization: near zero, so that a token or bigram seen rarely or never in
        # training adds little noise to the mean (nn.Embedding's N(0, 1) drowns the learnt ones).
        for table in filter(None, (self.embedding, self.bigrams)):
            nn.init.uniform_(table.weight, -1 / embed_dim, 1 / embed_dim)
        with torch.no_grad():
            self.embedding.weight[pad_id] = 0

    def forward(self, token_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        features, kept = [self.embedding(token_ids)], [mask]
        if self.bigrams is not None:
            pairs = token_ids[:, :-1] * BIGRAM_HASH + token_ids[:, 1:]
            features.append(self.bigrams(pairs % self.bigrams.num_embeddings))
            kept.append(mask[:, :-1] & mask[:, 1:])
        return self.project(masked_mean(torch.cat(features, dim=1), torch.cat(kept, dim=1)))


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


class EmbeddedEncoder(nn.Module):
    """Token embeddings, then the convolutions or the transformer above: ids (batch, length) ->
    (batch, out_features)."""

    def __init__(self, vocab_size: int, embed_dim: int, pad_id: int, encoder: nn.Module, out_features: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.encoder = encoder
        self.out_features = out_features

    def forward(self, token_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.embedding(token_ids), mask)


class PretrainedEncoder(nn.Module):
    """A Hugging Face encoder (BERT and the like), its last hidden states averaged over each text's
    tokens: ids (batch, length) -> (batch, hidden size)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.out_features = model.config.hidden_size

    def forward(self, token_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return masked_mean(self.model(input_ids=token_ids, attention_mask=mask.long()).last_hidden_state, mask)


def build_encoder(
    name: str,
    vocab_size: int,
    pad_id: int,
    embed_dim: int,
    hidden_dim: int,
    dropout: float,
    num_layers: int,
    num_heads: int,
    bigram_buckets: int,
) -> nn.Module:
    """Embeddings and the encoder called `name`, one of ENCODERS, trained from scratch: ids (batch,
    length) and their mask -> (batch, `out_features`)."""
    if name == "bag":
        return BagEncoder(vocab_size, pad_id, embed_dim, hidden_dim, dropout, bigram_buckets)
    if name == "cnn":
        if hidden_dim % 2:
            raise ValueError(f"hidden_dim={hidden_dim} must be even for the cnn encoder (two convolution widths).")
        encoder = ConvEncoder(embed_dim, hidden_dim, dropout)
    elif name == "transformer":
        encoder = TransformerTextEncoder(embed_dim, hidden_dim, dropout, num_layers, num_heads)
    else:
        raise ValueError(f"Unknown encoder {name!r}: use one of {', '.join(ENCODERS)}.")
    return EmbeddedEncoder(vocab_size, embed_dim, pad_id, encoder, hidden_dim)


def pretrained_encoder(pretrained: str | None, config: dict[str, Any] | None) -> PretrainedEncoder:
    """The Hugging Face model `pretrained` (a hub name, downloaded once on a machine with a network,
    or a local folder saved with `save_pretrained`), or, rebuilding a checkpoint, the architecture
    `config` describes (its weights come from the checkpoint)."""
    from transformers import AutoConfig, AutoModel  # seconds to import: only for a pretrained model

    if pretrained is None:
        return PretrainedEncoder(AutoModel.from_config(AutoConfig.for_model(**config)))
    try:
        return PretrainedEncoder(AutoModel.from_pretrained(pretrained))
    except (OSError, ValueError) as error:
        raise ValueError(
            f"pretrained={pretrained!r}: no model could be loaded from it ({error}). pretrained takes a Hugging Face "
            "model name (downloaded once on a machine with a network) or a local folder saved with save_pretrained."
        ) from error
