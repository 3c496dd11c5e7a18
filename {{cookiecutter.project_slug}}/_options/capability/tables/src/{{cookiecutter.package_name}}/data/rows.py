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

# How files and requests write a missing value, in any column: the usual spellings, in their common cases.
MISSING_VALUES = frozenset(
    variant
    for spelling in ("", "NA", "N/A", "#N/A", "NaN", "null", "None", "?")
    for variant in (spelling, spelling.lower(), spelling.upper(), spelling.title())
)
# A missing value of a categorical column, a category of its own where the training rows had some.
MISSING_CATEGORY = ""

# What a date column becomes: its year, month (1 to 12), weekday (0: Monday), day of the year (1 to 366)
# and, where its format has a time, the time of day in hours.
DATE_PARTS = ("year", "month", "weekday", "day_of_year")
TIME_PART = "time_of_day"


def place(source: str | None, row: int) -> str:
    """Where a row is, for error messages: in a file, its number (0: the first row after the
    header) and its line; None: the one row given by value."""
    return "The row" if source is None else f"{source}: row {row} (line {row + 2})"


def is_missing(value: Any) -> bool:
    """Whether a value given by value (JSON, Python) is a missing one: None, NaN or a spelling of `MISSING_VALUES`."""
    if isinstance(value, str):
        return value in MISSING_VALUES
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def require_filled(frame: pd.DataFrame, columns: Sequence[str], source: str | None) -> None:
    """Refuse a missing value in `columns` (the target, the ids), naming the first one."""
    empty = frame[list(columns)].isna().to_numpy()
    if empty.any():
        row, column = np.argwhere(empty)[0]
        count = f" ({int(empty.sum())} missing values in those columns)" if empty.sum() > 1 else ""
        raise ValueError(f"{place(source, frame.index[row])} has no value in column {columns[column]!r}{count}.")


def numbers_of(frame: pd.DataFrame, columns: Sequence[str], source: str | None) -> np.ndarray:
    """The `columns` of `frame` as float32, (rows, columns), NaN where a value is missing; refuses a
    cell that is neither a finite number nor missing, by row and column."""
    values = np.empty((len(frame), len(columns)), dtype=np.float32)
    for position, column in enumerate(columns):
        cells = frame[column]
        converted = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(converted) & cells.notna().to_numpy())
        if bad.size:
            row = int(bad[0])
            raise ValueError(
                f"{place(source, frame.index[row])} holds {cells.iloc[row]!r} in numeric column {column!r}, "
                "not a finite number."
            )
        values[:, position] = converted
    return values


def date_parts(date_format: str) -> list[str]:
    """The numbers a date column read in `date_format` becomes, in order."""
    timed = date_format == "ISO8601" or "%H" in date_format
    return [*DATE_PARTS, *([TIME_PART] if timed else [])]


def parse_dates(cells: pd.Series, date_format: str) -> pd.Series:
    """`cells` read as dates in `date_format` (strftime codes, or "ISO8601"), NaT where a cell is
    missing or is no such date; a date with a time zone at its time in UTC."""
    dates = pd.to_datetime(cells, format=date_format, errors="coerce", utc=True)
    return dates.dt.tz_localize(None)


def date_numbers(frame: pd.DataFrame, column: str, date_format: str, source: str | None) -> np.ndarray:
    """The parts (`date_parts`) of the dates of `column`, float32 (rows, parts), NaN where a date is
    missing; refuses a cell that is no date in `date_format`, by row."""
    cells = frame[column]
    dates = parse_dates(cells, date_format)
    bad = np.flatnonzero(dates.isna().to_numpy() & cells.notna().to_numpy())
    if bad.size:
        row = int(bad[0])
        raise ValueError(
            f"{place(source, frame.index[row])} holds {cells.iloc[row]!r} in date column {column!r}, "
            f"not a date in the format {date_format}."
        )
    time = dates.dt
    parts = {
        "year": time.year,
        "month": time.month,
        "weekday": time.day_of_week,
        "day_of_year": time.day_of_year,
        TIME_PART: time.hour + time.minute / 60 + time.second / 3600,
    }
    return np.stack(
        [parts[part].to_numpy(dtype=np.float32, na_value=np.nan) for part in date_parts(date_format)], axis=1
    )


def describe(value: Any) -> str:
    """A value and its type, for error messages."""
    return f"{value!r} ({type(value).__name__})"


class RowEncoder:
    """Turn rows into the model's inputs, by name: `numeric`, float32 (rows, `numeric_features`): the
    numeric columns' values as they are (the model standardizes them), then each date column's
    parts, NaN where a value is missing (the model fills it in); `categories`, each categorical
    column's value (as text) as its code, int64 (rows, categorical columns): 1 to n for the n values
    of its vocabulary (`MISSING_CATEGORY` among them where the training rows had missing values),
    UNKNOWN for any other. An input without columns is left out.

    Args:
        numeric_columns: The numeric columns, in the order of the model's input.
        vocabularies: Each categorical column, in the order of the model's input, with the values
            the training rows have, sorted.
        date_columns: Each date column, in the order of the model's input, after the numeric
            columns, with the format its dates are read in.
    """

    def __init__(
        self,
        numeric_columns: Sequence[str],
        vocabularies: Mapping[str, Sequence[str]],
        date_columns: Mapping[str, str] | None = None,
    ) -> None:
        self.numeric_columns = list(numeric_columns)
        self.date_columns = dict(date_columns or {})
        self.vocabularies = {column: list(values) for column, values in vocabularies.items()}
        self.codes = {
            column: {value: code for code, value in enumerate(values, start=UNKNOWN + 1)}
            for column, values in self.vocabularies.items()
        }
        # The column of each value of the numeric input, and its name there.
        parts = [(column, part) for column, form in self.date_columns.items() for part in date_parts(form)]
        self.feature_columns = [*self.numeric_columns, *(column for column, _ in parts)]
        self.numeric_features = [*self.numeric_columns, *(f"{column}.{part}" for column, part in parts)]
        self.input_names = tuple(
            name for name, columns in (("numeric", self.numeric_features), ("categories", self.vocabularies)) if columns
        )

    @property
    def columns(self) -> list[str]:
        """The feature columns a row needs."""
        return [*self.numeric_columns, *self.date_columns, *self.vocabularies]

    def first_feature(self, column: str) -> int:
        """The position in the numeric input of numeric column `column`, or of date column `column`'s year."""
        return self.feature_columns.index(column)

    def encode(self, frame: pd.DataFrame, source: str | None = None) -> dict[str, torch.Tensor]:
        """The inputs of `frame`'s rows, whose categorical and date cells are text, missing values NaN.
        Errors name the file `source` and the row (`frame`'s index: the rows' numbers in the file),
        or, with no source, the one row given."""
        missing = [column for column in self.columns if column not in frame.columns]
        if missing:
            raise ValueError(
                f"{source or 'The row'} has no column {', '.join(repr(column) for column in missing)}: "
                f"the model reads {', '.join(self.columns)}."
            )
        inputs = {}
        if self.numeric_features:
            blocks = [numbers_of(frame, self.numeric_columns, source)]
            blocks += [date_numbers(frame, column, form, source) for column, form in self.date_columns.items()]
            inputs["numeric"] = torch.from_numpy(np.concatenate(blocks, axis=1))
        if self.vocabularies:
            codes = []
            for column, known in self.codes.items():
                cells = frame[column]
                # A column of categories maps each of its values once.
                column_codes = cells.map(known).to_numpy(dtype=np.float64, na_value=UNKNOWN).astype(np.int64)
                column_codes[cells.isna().to_numpy()] = known.get(MISSING_CATEGORY, UNKNOWN)
                codes.append(column_codes)
            inputs["categories"] = torch.from_numpy(np.stack(codes, axis=1))
        return inputs

    def encode_row(self, row: Mapping[str, Any]) -> dict[str, torch.Tensor]:
        """The inputs of one row, `{column: value}`: a number for each numeric column, text for each
        date column (as the data write it) and each categorical one (or an integer, for codes); None,
        NaN or a spelling of `MISSING_VALUES` for a missing value. Other keys are ignored."""
        if not isinstance(row, Mapping):
            raise ValueError(f"A row is a mapping of column names to values, not {describe(row)}.")
        cells = {}
        for column in (column for column in self.columns if column in row):
            value = row[column]
            if is_missing(value):
                cells[column] = None
            elif column in self.numeric_columns:
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise ValueError(
                        f"Column {column!r} is numeric: it takes a number, not {describe(value)} "
                        "(None, or null in JSON: a missing value)."
                    )
                cells[column] = value
            elif column in self.date_columns:
                if not isinstance(value, str):
                    raise ValueError(
                        f"Column {column!r} holds dates: it takes its value as text, as in the data "
                        f"(format {self.date_columns[column]}), not {describe(value)}."
                    )
                cells[column] = value
            else:
                if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
                    raise ValueError(
                        f"Column {column!r} is categorical: it takes its value as text, as in the data, "
                        f"not {describe(value)}."
                    )
                cells[column] = str(value)  # as a file holds it: the code 7 is "7"
        frame = pd.DataFrame({column: [value] for column, value in cells.items()}, dtype=object)
        return {name: values[0] for name, values in self.encode(frame).items()}
