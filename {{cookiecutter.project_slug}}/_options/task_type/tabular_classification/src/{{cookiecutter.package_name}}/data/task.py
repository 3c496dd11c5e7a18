"""Data module for tabular classification: a CSV file with a column of class labels."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .classes import balanced_class_weights, class_indices
from .rows import place, require_filled
from .tabular import TabularDataModule


def class_labels(column: pd.Series, path: Path) -> list[str]:
    """Each row's class label, as text; integer labels as plain integers ("02" and "2.0" are "2").
    Numbers with a fraction are refused: they are a regression target. `column` holds numbers if
    every cell of it is one (see `parse_table`), text otherwise."""
    require_filled(column.to_frame(), [str(column.name)], str(path))
    if not pd.api.types.is_numeric_dtype(column):
        return column.tolist()
    numbers = column.to_numpy()
    fractional = np.flatnonzero(numbers != np.round(numbers))
    if fractional.size:
        row = int(column.index[fractional[0]])
        raise ValueError(
            f"{place(str(path), row)} holds '{column[row]}' in target column {column.name!r}: a number with a "
            "fraction is not a class label. Classes are text or integers; for a continuous target, "
            "render the template with task_type=tabular_regression."
        )
    # Each distinct number is named once.
    values, rows = np.unique(numbers, return_inverse=True)
    return np.array([str(int(value)) for value in values], dtype=object)[rows].tolist()


class TabularClassificationDataModule(TabularDataModule):
    """Rows of a CSV file with a column of class labels (text or integers), split by `split`.

    The features, their encoding and the arguments are `TabularDataModule`'s.
    """

    @cached_property
    def label_names(self) -> list[str]:
        """Each row's class."""
        return class_labels(self.table.frame[self.target_column], self.table.path)

    @property
    def split_labels(self) -> list[str]:
        return self.label_names

    @cached_property
    def class_names(self) -> list[str]:
        """The classes, in the order of the model's outputs: sorted, as numbers when they are integers."""
        classes = set(self.label_names)
        if len(classes) < 2:
            raise ValueError(
                f"Target column {self.target_column!r} of {self.table.path} has one class only "
                f"({classes.pop()}): need two or more."
            )
        integers = all(name.removeprefix("-").isdigit() for name in classes)
        return sorted(classes, key=int if integers else None)

    @cached_property
    def class_weights(self) -> list[float]:
        """Per-class loss weights, inversely proportional to class frequency in the training split."""
        return balanced_class_weights(self.labels(self.split_indices.train), self.class_names, self.table.path)

    def labels(self, positions: list[int]) -> list[int]:
        """The class indices of the rows at `positions`, in the model's output order."""
        names = [self.label_names[i] for i in positions]
        return class_indices(names, [f"row {i}" for i in positions], self.class_names, self.table.path)

    def targets(self, positions: list[int]) -> torch.Tensor:
        return torch.tensor(self.labels(positions), dtype=torch.long)

    def no_targets(self, count: int) -> torch.Tensor:
        return torch.full((count,), -1)  # -1: no class
