"""A tiny table for the tests: 42 wines of the bundled data, 14 of each cultivar; wines to predict,
as the command line, the Python API and the server take them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data.bundled import wine_frame

from .tiny_table import ID_COLUMN, first_rows, predict_inputs, refused_requests, with_gaps, write_table

# What `plots.callback.Plots` draws of the test split, besides the learning curves.
TEST_FIGURES = ("confusion_matrix", "confusion_matrix_normalized", "per_class_scores", "roc_curves")
ROWS_PER_CLASS = {"train": 8, "val": 3, "test": 3}
TARGET = "target"
CATEGORICAL_COLUMN = "alcohol_level"
# A numeric column with missing values, as users' data have them: in every sixth row of the tiny table.
GAP_COLUMN = "magnesium"
NUMERIC_COLUMN = "proline"


def tiny_frame() -> pd.DataFrame:
    """The table as the file holds it; the index is each row's number in the bundled data."""
    return with_gaps(first_rows(wine_frame(), ROWS_PER_CLASS, ["split", TARGET], "wine"), GAP_COLUMN)


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/tiny.csv` (with the bundled data's `split` column, for the predefined strategy) and
    return the arguments that point the data module at it."""
    return write_table(root, tiny_frame())


def rows_to_predict() -> pd.DataFrame:
    """One wine of each cultivar that the tiny table lacks, the first at an alcohol level no training row
    has, the second without a value in the gap column."""
    wine = wine_frame().drop(index=tiny_frame().index)
    rows = wine.groupby(TARGET).head(1).drop(columns=[TARGET, "split"])
    rows.loc[rows.index[0], CATEGORICAL_COLUMN] = "very high"
    rows.loc[rows.index[1], GAP_COLUMN] = None
    rows.insert(0, ID_COLUMN, [f"new-{number}" for number in range(len(rows))])
    return rows


def write_predict_inputs(folder: Path) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """Wines to predict three ways: the arguments of the predict subcommand, rows for `model.predict`
    and request bodies for `serve`, in the same order."""
    return predict_inputs(folder, rows_to_predict())


def bad_requests() -> list[tuple[dict[str, Any], str]]:
    """Request bodies that `serve` refuses with a 4xx status, and what its message says."""
    return refused_requests(rows_to_predict().drop(columns=[ID_COLUMN]).to_dict("records")[0], NUMERIC_COLUMN)


def same_prediction(row: dict[str, str], answer: dict[str, Any]) -> None:
    """A row of predictions.csv and the Python API's answer for the same wine agree."""
    assert row["predicted_class"] == answer["label"]
    assert float(row["probability"]) == pytest.approx(answer["probabilities"][answer["label"]], abs=1e-5)


# The column of predictions.csv that holds a row's true target, where the predicted rows have it.
TRUE_COLUMN = "true_class"


def same_truth(written: list[str], datamodule: Any, positions: list[int]) -> None:
    """The true targets predictions.csv wrote for the samples at `positions` are the data module's."""
    assert written == [datamodule.label_names[position] for position in positions]
