"""What the tabular models share: an MLP and a linear model side by side (wide and deep) over the
standardized numeric columns (missing values filled in and marked) and one embedding per categorical
column, and table rows as the inputs of the Python API, `serve` and `export`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch import nn
from torchmetrics import MetricCollection

from ..data.rows import MISSING_CATEGORY, MISSING_VALUES, TIME_PART, UNKNOWN, RowEncoder
from .supervised import Schedule, SupervisedModule


def embedding_size(categories: int, max_embedding_dim: int) -> int:
    """Half the categories (the unknown one included), rounded up, at most `max_embedding_dim`."""
    return max(1, min(max_embedding_dim, (categories + 2) // 2))


class TabularModel(SupervisedModule):
    """A model of table rows: `numeric`, the numeric columns' values as they are in the data, then the
    date columns' parts, float32 (N, numeric inputs), NaN where a value is missing, which it fills in
    with `numeric_fill`, marks with an input of its own for each of `missing_indicators`, and
    standardizes, itself (and so does its exported graph); and `categories`, the categorical columns'
    codes, int64 (N, categorical columns), each embedded (code 0: a value no training row had); an
    input without columns is left out. An MLP of `hidden_sizes` turns them into `output_size` values,
    to which, with `linear`, a linear layer of the same inputs adds its own (wide and deep).
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
        date_columns: Mapping[str, str] | None = None,
        numeric_fill: Sequence[float] | None = None,
        missing_indicators: Sequence[str] | None = None,
        linear: bool = True,
    ) -> None:
        super().__init__(loss, metrics, optimizer, scheduler)
        self.encoder = RowEncoder(numeric_columns, vocabularies, date_columns)
        self.input_names = self.encoder.input_names
        if not self.input_names:
            raise ValueError("The model has no input: no numeric, date or categorical column.")
        features = self.encoder.numeric_features
        mean = [0.0] * len(features) if numeric_mean is None else list(numeric_mean)
        std = [1.0] * len(features) if numeric_std is None else list(numeric_std)
        fill = mean if numeric_fill is None else list(numeric_fill)
        if not len(mean) == len(std) == len(fill) == len(features):
            raise ValueError(
                f"numeric_mean ({len(mean)} values), numeric_std ({len(std)} values) and numeric_fill "
                f"({len(fill)} values) need one value per numeric input ({len(features)}: {', '.join(features)})."
            )
        self.missing_indicators = list(missing_indicators or [])
        unknown = [column for column in self.missing_indicators if column not in self.encoder.feature_columns]
        if unknown:
            raise ValueError(f"missing_indicators names {', '.join(map(repr, unknown))}: no numeric or date column.")
        # Not saved in the state dict: the hyperparameters hold them.
        self.register_buffer("numeric_mean", torch.tensor(mean, dtype=torch.float32), persistent=False)
        self.register_buffer("numeric_std", torch.tensor(std, dtype=torch.float32), persistent=False)
        self.register_buffer("numeric_fill", torch.tensor(fill, dtype=torch.float32), persistent=False)
        marked = [self.encoder.first_feature(column) for column in self.missing_indicators]
        self.register_buffer("marked", torch.tensor(marked, dtype=torch.long), persistent=False)
        self.embeddings = nn.ModuleList(
            nn.Embedding(len(values) + 1, embedding_size(len(values), max_embedding_dim))
            for values in self.encoder.vocabularies.values()
        )
        input_width = len(features) + len(marked) + sum(embedding.embedding_dim for embedding in self.embeddings)
        width = input_width
        layers: list[nn.Module] = []
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, output_size))
        self.network = nn.Sequential(*layers)
        # The wide path: a linear model of the same inputs, whose outputs add to the MLP's. On a small
        # table a linear model is hard to beat; beside it, the MLP learns what it misses.
        self.linear = nn.Linear(input_width, output_size) if linear else None

    def outputs(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """The outputs, (N, output_size), of the inputs in the order of `input_names`: the MLP's, plus
        the linear path's."""
        named = dict(zip(self.input_names, inputs, strict=True))
        parts = []
        if "numeric" in named:
            numeric = named["numeric"]
            missing = numeric.isnan()
            numeric = torch.where(missing, self.numeric_fill, numeric)
            parts.append((numeric - self.numeric_mean) / self.numeric_std)
            if self.missing_indicators:
                parts.append(missing[:, self.marked].to(numeric.dtype))
        if "categories" in named:
            codes = named["categories"]
            parts += [embedding(codes[:, column]) for column, embedding in enumerate(self.embeddings)]
        row = torch.cat(parts, dim=-1)
        outputs = self.network(row)
        return outputs if self.linear is None else outputs + self.linear(row)

    def read_input(self, source: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """One row, `{column: value}`: a number for each numeric column, text for each date and
        categorical one, None for a missing value (see `RowEncoder.encode_row`)."""
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
        if encoder.numeric_features:
            inputs.append(torch.randn(batch_size, len(encoder.numeric_features)))
        if encoder.vocabularies:
            codes = [torch.randint(UNKNOWN, len(values) + 1, (batch_size,)) for values in encoder.vocabularies.values()]
            inputs.append(torch.stack(codes, dim=1))
        return tuple(inputs)

    def input_info(self) -> list[dict[str, Any]]:
        encoder = self.encoder
        missing = sorted(MISSING_VALUES)
        info = []
        if encoder.numeric_features:
            before = [
                "take the numeric columns' values, then the date columns' parts, in the order of `columns`, "
                "as they are in the data (the graph standardizes them)",
                "NaN for a missing value (an empty cell, or one of `missing_values`): the graph fills it in",
            ]
            if encoder.date_columns:
                before.append(
                    "a date column's parts (`<column>.<part>`) from its text read in its format in `dates` "
                    "(strftime codes, or ISO8601; a time zone: the time in UTC): year, month (1 to 12), "
                    f"weekday (0: Monday), day_of_year (1 to 366), {TIME_PART} (hours, with fractions)"
                )
            info.append(
                {
                    "name": "numeric",
                    "dtype": "float32",
                    "shape": ["batch", len(encoder.numeric_features)],
                    "columns": encoder.numeric_features,
                    **({"dates": encoder.date_columns} if encoder.date_columns else {}),
                    "missing_values": missing,
                    "before": before,
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
                    "missing_values": missing,
                    "before": [
                        "take the categorical columns' values, as text, in the order of `columns`",
                        f"a missing value (an empty cell, or one of `missing_values`) as {MISSING_CATEGORY!r}",
                        f"replace each by its code in `codes`; a value not listed there by {UNKNOWN}",
                    ],
                }
            )
        return info
