"""Data module for tabular classification: a CSV file with a column of class labels."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.utils.class_weight import compute_class_weight

from .rows import place, require_filled
from .tabular import TabularDataModule


def class_labels(column: pd.Series, path: Path) -> list[str]:
    """Each row's class label, as text; integer labels as plain integers ("02" and "2.0" are "2").
    Numbers with a fraction are refused: they are a regression target."""
    require_filled(column.to_frame(), [str(column.name)], str(path))
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.isna().any():
        return column.tolist()
    fractional = np.flatnonzero((numbers != numbers.round()).to_numpy())
    if fractional.size:
        row = int(column.index[fractional[0]])
        raise ValueError(
            f"{place(str(path), row)} holds {column[row]!r} in target column {column.name!r}: a number with a "
            "fraction is not a class label. Classes are text or integers; for a continuous target, "
            "render the template with task_type=tabular_regression."
        )
    return [str(int(number)) for number in numbers]


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
        train_labels = self.labels(self.split_indices.train)
        missing = sorted(set(range(len(self.class_names))) - set(train_labels))
        if missing:
            names = ", ".join(self.class_names[i] for i in missing)
            raise ValueError(
                f"The training split of {self.table.path} has no rows of class {names}: add more or change the split."
            )
        weights = compute_class_weight("balanced", classes=np.arange(len(self.class_names)), y=train_labels)
        return [float(weight) for weight in weights]

    def labels(self, positions: list[int]) -> list[int]:
        """The class indices of the rows at `positions`, in the order of `class_names` (a
        checkpoint's, when evaluating one): a class the model does not know is refused."""
        index = {name: position for position, name in enumerate(self.class_names)}
        names = [self.label_names[i] for i in positions]
        unknown = sorted(set(names) - index.keys())
        if unknown:
            raise ValueError(
                f"{self.table.path} has rows of class {', '.join(unknown)}, which the model does not know: "
                f"its classes are {', '.join(self.class_names)}."
            )
        return [index[name] for name in names]

    def targets(self, positions: list[int]) -> torch.Tensor:
        return torch.tensor(self.labels(positions), dtype=torch.long)

    def no_targets(self, count: int) -> torch.Tensor:
        return torch.full((count,), -1)  # -1: no class
