"""What the tabular models share: an MLP over the standardized numeric columns and one embedding per
categorical column, and table rows as the inputs of the Python API, `serve` and `export`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch import nn
from torchmetrics import MetricCollection

from ..data.rows import UNKNOWN, RowEncoder
from .supervised import Schedule, SupervisedModule


def embedding_size(categories: int, max_embedding_dim: int) -> int:
    """Half the categories (the unknown one included), rounded up, at most `max_embedding_dim`."""
    return max(1, min(max_embedding_dim, (categories + 2) // 2))


class TabularModel(SupervisedModule):
    """A model of table rows: `numeric`, the numeric columns' values as they are in the data, float32
    (N, numeric columns), which it standardizes itself (and so does its exported graph), and
    `categories`, the categorical columns' codes, int64 (N, categorical columns), each embedded (code
    0: a value no training row had); an input without columns is left out. An MLP of `hidden_sizes`
    turns them into `output_size` values.
    """

    def __init__(
        self,
        loss: nn.Module,
        metrics: MetricCollection,
        optimizer: OptimizerCallable,
        scheduler: Schedule,
        output_size: int,
        numeric_columns: Sequence[str],
        vocabularies: Mapping[str, Sequence[str]],
        numeric_mean: Sequence[float] | None,
        numeric_std: Sequence[float] | None,
        hidden_sizes: Sequence[int],
        dropout: float,
        max_embedding_dim: int,
    ) -> None:
        super().__init__(loss, metrics, optimizer, scheduler)
        self.encoder = RowEncoder(numeric_columns, vocabularies)
        self.input_names = self.encoder.input_names
        if not self.input_names:
            raise ValueError("The model has no input: no numeric column and no categorical column.")
        count = len(self.encoder.numeric_columns)
        mean = [0.0] * count if numeric_mean is None else list(numeric_mean)
        std = [1.0] * count if numeric_std is None else list(numeric_std)
        if not len(mean) == len(std) == count:
            raise ValueError(
                f"numeric_mean ({len(mean)} values) and numeric_std ({len(std)} values) need one value "
                f"per numeric column ({count}: {', '.join(self.encoder.numeric_columns)})."
            )
        # Not saved in the state dict: the hyperparameters hold them.
        self.register_buffer("numeric_mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("numeric_std", torch.tensor(std, dtype=torch.float32), persistent=False)
        self.embeddings = nn.ModuleList(
            nn.Embedding(len(values) + 1, embedding_size(len(values), max_embedding_dim))
            for values in self.encoder.vocabularies.values()
        )
        width = count + sum(embedding.embedding_dim for embedding in self.embeddings)
        layers: list[nn.Module] = []
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, output_size))
        self.network = nn.Sequential(*layers)

    def outputs(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """The MLP's outputs, (N, output_size), of the inputs in the order of `input_names`."""
        named = dict(zip(self.input_names, inputs, strict=True))
        parts = []
        if "numeric" in named:
            parts.append((named["numeric"] - self.numeric_mean) / self.numeric_std)
        if "categories" in named:
            codes = named["categories"]
            parts += [embedding(codes[:, column]) for column, embedding in enumerate(self.embeddings)]
        return self.network(torch.cat(parts, dim=-1))

    def read_input(self, source: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """One row, `{column: value}`: a number for each numeric column, text for each categorical one."""
        return self.encoder.encode_row(source)

    def parse_request(self, body: dict[str, Any]) -> Mapping[str, Any]:
        """`{"row": {<column>: <value>, ...}}` to the row."""
        row = body.get("row")
        if not isinstance(row, dict):
            columns = ", ".join(self.encoder.columns)
            raise ValueError(f'The request needs "row": an object with a value for each feature column: {columns}.')
        return row

    def example_inputs(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        encoder = self.encoder
        inputs = []
        if encoder.numeric_columns:
            inputs.append(torch.randn(batch_size, len(encoder.numeric_columns)))
        if encoder.vocabularies:
            codes = [torch.randint(UNKNOWN, len(values) + 1, (batch_size,)) for values in encoder.vocabularies.values()]
            inputs.append(torch.stack(codes, dim=1))
        return tuple(inputs)

    def input_info(self) -> list[dict[str, Any]]:
        encoder = self.encoder
        info = []
        if encoder.numeric_columns:
            info.append(
                {
                    "name": "numeric",
                    "dtype": "float32",
                    "shape": ["batch", len(encoder.numeric_columns)],
                    "columns": encoder.numeric_columns,
                    "before": [
                        "take the numeric columns' values in the order of `columns`, as they are in the data "
                        "(the graph standardizes them)"
                    ],
                }
            )
        if encoder.vocabularies:
            info.append(
                {
                    "name": "categories",
                    "dtype": "int64",
                    "shape": ["batch", len(encoder.vocabularies)],
                    "columns": list(encoder.vocabularies),
                    "codes": encoder.codes,
                    "before": [
                        "take the categorical columns' values, as text, in the order of `columns`",
                        f"replace each by its code in `codes`; a value not listed there by {UNKNOWN}",
                    ],
                }
            )
        return info
