"""Data module for tabular regression: a CSV file with a numeric target column."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import torch

from .rows import numbers_of, require_filled
from .splitting import Split
from .tabular import TabularDataModule


def target_ranges(targets: np.ndarray, bins: int, name: str) -> list[str]:
    """Each target's quantile bin (`bins` of equal counts, fewer where values repeat), named by its range."""
    if len(np.unique(targets)) < 2:
        return [name] * len(targets)
    return [f"{name} in {interval}" for interval in pd.qcut(targets, q=bins, duplicates="drop")]


class TabularRegressionDataModule(TabularDataModule):
    """Rows of a CSV file with a numeric target column, split by `split`.

    The features, their encoding and the other arguments are `TabularDataModule`'s.

    Args:
        split: How rows are assigned to train, val and test.
        stratify_bins: Quantile bins of the target that stratified splits keep in proportion.
    """

    def __init__(self, split: Split, stratify_bins: int = 5, **kwargs: Any) -> None:
        super().__init__(split, **kwargs)
        self.stratify_bins = stratify_bins

    @cached_property
    def target_values(self) -> np.ndarray:
        """Each row's target, float32."""
        table = self.table
        require_filled(table.frame, [self.target_column], str(table.path))
        return numbers_of(table.frame, [self.target_column], str(table.path))[:, 0]

    @property
    def split_labels(self) -> list[str]:
        return target_ranges(self.target_values, self.stratify_bins, self.target_column)

    @cached_property
    def target_mean(self) -> float:
        """The target's mean over the training rows."""
        return float(self.target_values[self.split_indices.train].astype(np.float64).mean())

    @cached_property
    def target_std(self) -> float:
        """The target's standard deviation over the training rows (population); 1 for a constant target."""
        std = float(self.target_values[self.split_indices.train].astype(np.float64).std())
        return std if std > 0 else 1.0

    def targets(self, positions: list[int]) -> torch.Tensor:
        return torch.from_numpy(self.target_values[positions])

    def no_targets(self, count: int) -> torch.Tensor:
        return torch.full((count,), float("nan"))
