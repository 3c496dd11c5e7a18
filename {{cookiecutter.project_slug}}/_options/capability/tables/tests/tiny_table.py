"""What the tiny tables of both tabular tasks share: a few rows of the bundled data (whose columns the
README's examples name), with an id column and missing values; rows to predict, as the command line,
the Python API and the server take them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

ID_COLUMN = "sample"
FILE_NAME = "tiny.csv"


def first_rows(frame: pd.DataFrame, counts: dict[str, int], groups: list[str], prefix: str) -> pd.DataFrame:
    """The first `counts[split]` rows of each group of `groups` (the split column first), in the file's
    order, named `<prefix>-<row in frame>` in an id column; the index is the row in `frame`."""
    chosen = pd.concat(group.head(counts[keys[0]]) for keys, group in frame.groupby(groups, sort=False))
    chosen = chosen.sort_index()
    chosen.insert(0, ID_COLUMN, [f"{prefix}-{row:03d}" for row in chosen.index])
    return chosen


def with_gaps(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """`frame` without a value in `column` in every sixth row (a sixth of the rows, in every split)."""
    frame[column] = frame[column].astype(float)
    frame.iloc[2::6, frame.columns.get_loc(column)] = float("nan")
    return frame


def write_table(root: Path, frame: pd.DataFrame) -> list[str]:
    """Write `root/tiny.csv`, a missing value as NA, and return the arguments that point the data module at it."""
    root.mkdir(parents=True, exist_ok=True)
    frame.to_csv(root / FILE_NAME, index=False, na_rep="NA")
    return ["--data.csv_path", str(root / FILE_NAME), "--data.id_column", ID_COLUMN]


def predict_inputs(folder: Path, rows: pd.DataFrame) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """`rows` (ids and feature columns) three ways, in the same order: a CSV file for the predict
    subcommand (its columns in another order than the training file's, a missing value an empty cell),
    rows for `model.predict` and request bodies for `serve` (a missing value None: null in JSON)."""
    folder.mkdir(parents=True)
    path = folder / "rows.csv"
    rows[list(reversed(rows.columns))].to_csv(path, index=False)
    features = rows.drop(columns=[ID_COLUMN]).astype(object)
    sources = features.where(features.notna(), None).to_dict("records")
    return ["--data.predict_path", str(path)], sources, [{"row": row} for row in sources]


def refused_requests(row: dict[str, Any], numeric_column: str) -> list[tuple[dict[str, Any], str]]:
    """Request bodies that `serve` refuses, made from a good `row`, and what its message says."""
    without = {column: value for column, value in row.items() if column != numeric_column}
    return [
        ({"rows": [row]}, '"row"'),
        ({"row": "not a row"}, '"row"'),
        ({"row": without}, f"no column {numeric_column!r}"),
        ({"row": {**row, numeric_column: "heavy"}}, "takes a number"),
    ]
