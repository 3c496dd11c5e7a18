"""Table rows as the model's inputs: the one place where cells become numbers and category codes,
for training and evaluation (whole files), `predict`, the Python API and `serve` (one row at a time)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

# The code of a category that no training row has; the training rows' categories are numbered from 1.
UNKNOWN = 0


def place(source: str | None, row: int) -> str:
    """Where a row is, for error messages: in a file, its number (0: the first row after the
    header) and its line; None: the one row given by value."""
    return "The row" if source is None else f"{source}: row {row} (line {row + 2})"


def require_filled(frame: pd.DataFrame, columns: Sequence[str], source: str | None) -> None:
    """Refuse an empty cell in `columns`, naming the first one."""
    empty = frame[list(columns)].isna().to_numpy()
    if empty.any():
        row, column = np.argwhere(empty)[0]
        count = f" ({int(empty.sum())} empty cells in those columns)" if empty.sum() > 1 else ""
        raise ValueError(f"{place(source, frame.index[row])} has no value in column {columns[column]!r}{count}.")


def numbers_of(frame: pd.DataFrame, columns: Sequence[str], source: str | None) -> np.ndarray:
    """The `columns` of `frame` (filled in) as float32, (rows, columns); refuses a cell that is not a
    finite number, by row and column."""
    values = np.empty((len(frame), len(columns)), dtype=np.float32)
    for position, column in enumerate(columns):
        cells = frame[column]
        converted = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(converted))
        if bad.size:
            row = int(bad[0])
            raise ValueError(
                f"{place(source, frame.index[row])} holds {cells.tolist()[row]!r} in numeric column {column!r}, "
                "not a finite number."
            )
        values[:, position] = converted
    return values


def describe(value: Any) -> str:
    """A value and its type, for error messages."""
    return f"{value!r} ({type(value).__name__})"


class RowEncoder:
    """Turn rows into the model's inputs, by name: `numeric`, the numeric columns' values, float32
    (rows, numeric columns), as they are (the model standardizes them); `categories`, each categorical
    column's value (as text) as its code, int64 (rows, categorical columns): 1 to n for the n values
    of its vocabulary, UNKNOWN for any other. An input without columns is left out.

    Args:
        numeric_columns: The numeric columns, in the order of the model's input.
        vocabularies: Each categorical column, in the order of the model's input, with the values
            the training rows have, sorted.
    """

    def __init__(self, numeric_columns: Sequence[str], vocabularies: Mapping[str, Sequence[str]]) -> None:
        self.numeric_columns = list(numeric_columns)
        self.vocabularies = {column: list(values) for column, values in vocabularies.items()}
        self.codes = {
            column: {value: code for code, value in enumerate(values, start=UNKNOWN + 1)}
            for column, values in self.vocabularies.items()
        }
        self.input_names = tuple(
            name for name, columns in (("numeric", self.numeric_columns), ("categories", self.vocabularies)) if columns
        )

    @property
    def columns(self) -> list[str]:
        """The feature columns a row needs."""
        return [*self.numeric_columns, *self.vocabularies]

    def encode(self, frame: pd.DataFrame, source: str | None = None) -> dict[str, torch.Tensor]:
        """The inputs of `frame`'s rows, whose categorical cells are text. Errors name the file
        `source` and the row (`frame`'s index: the rows' numbers in the file), or, with no source,
        the one row given."""
        missing = [column for column in self.columns if column not in frame.columns]
        if missing:
            raise ValueError(
                f"{source or 'The row'} has no column {', '.join(repr(column) for column in missing)}: "
                f"the model reads {', '.join(self.columns)}."
            )
        require_filled(frame, self.columns, source)
        inputs = {}
        if self.numeric_columns:
            inputs["numeric"] = torch.from_numpy(numbers_of(frame, self.numeric_columns, source))
        if self.vocabularies:
            # A column of categories maps each of its values once.
            codes = [
                frame[column].map(self.codes[column]).to_numpy(dtype=np.float64, na_value=UNKNOWN).astype(np.int64)
                for column in self.vocabularies
            ]
            inputs["categories"] = torch.from_numpy(np.stack(codes, axis=1))
        return inputs

    def encode_row(self, row: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """The inputs of one row, `{column: value}`: a number for each numeric column, text (or an
        integer, for codes) for each categorical one; other keys are ignored."""
        if not isinstance(row, Mapping):
            raise ValueError(f"A row is a mapping of column names to values, not {describe(row)}.")
        for column in self.numeric_columns:
            value = row.get(column)
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
                raise ValueError(f"Column {column!r} is numeric: it takes a number, not {describe(value)}.")
        for column in self.vocabularies:
            value = row.get(column)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (str, numbers.Integral))):
                raise ValueError(
                    f"Column {column!r} is categorical: it takes its value as text, as in the data, "
                    f"not {describe(value)}."
                )
        cells = {column: row[column] for column in self.columns if column in row}
        for column in self.vocabularies:
            if cells.get(column) is not None:
                cells[column] = str(cells[column])  # as a file holds it: the code 7 is "7"
        frame = pd.DataFrame({column: [value] for column, value in cells.items()})
        return {name: values[0] for name, values in self.encode(frame).items()}
