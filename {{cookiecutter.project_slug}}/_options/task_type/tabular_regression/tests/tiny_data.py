"""A tiny table for the tests: 60 patients of the bundled data, their target moved near 1e6; patients
to predict, as the command line, the Python API and the server take them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data.bundled import diabetes_frame

from .tiny_table import ID_COLUMN, first_rows, predict_inputs, refused_requests, with_gaps, write_table

# What `plots.callback.Plots` draws of the test split, besides the learning curves.
TEST_FIGURES = ("predicted_vs_true", "residuals")
ROWS_PER_SPLIT = {"train": 40, "val": 10, "test": 10}
TARGET = "target"
CATEGORICAL_COLUMN = "sex"
# A numeric column with missing values, as users' data have them: in every sixth row of the tiny table.
GAP_COLUMN = "s3"
NUMERIC_COLUMN = "bmi"


def patients() -> pd.DataFrame:
    """The bundled data with the target (25 to 346) as 1,000,000 + 10 x target: where bf16 rounds to
    multiples of 4096, so that predictions are only right if scaled in float32."""
    frame = diabetes_frame()
    frame[TARGET] = 1_000_000 + 10 * frame[TARGET]
    return frame


def tiny_frame() -> pd.DataFrame:
    """The table as the file holds it; the index is each row's number in the bundled data."""
    return with_gaps(first_rows(patients(), ROWS_PER_SPLIT, ["split"], "patient"), GAP_COLUMN)


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/tiny.csv` (with the bundled data's `split` column, for the predefined strategy) and
    return the arguments that point the data module at it."""
    return write_table(root, tiny_frame())


def rows_to_predict() -> pd.DataFrame:
    """Three patients the tiny table lacks, of the lowest, middle and highest target; the first of a
    sex no training row has, the second without a value in the gap column."""
    others = patients().drop(index=tiny_frame().index).sort_values(TARGET)
    rows = others.iloc[[0, len(others) // 2, -1]].drop(columns=[TARGET, "split"])
    rows.loc[rows.index[0], CATEGORICAL_COLUMN] = "C"
    rows.loc[rows.index[1], GAP_COLUMN] = None
    rows.insert(0, ID_COLUMN, [f"new-{number}" for number in range(len(rows))])
    return rows


def write_predict_inputs(folder: Path) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """Patients to predict three ways: the arguments of the predict subcommand, rows for
    `model.predict` and request bodies for `serve`, in the same order."""
    return predict_inputs(folder, rows_to_predict())


def bad_requests() -> list[tuple[dict[str, Any], str]]:
    """Request bodies that `serve` refuses with a 4xx status, and what its message says."""
    return refused_requests(rows_to_predict().drop(columns=[ID_COLUMN]).to_dict("records")[0], NUMERIC_COLUMN)


def same_prediction(row: dict[str, str], answer: dict[str, Any]) -> None:
    """A row of predictions.csv and the Python API's answer for the same patient agree."""
    assert float(row["prediction"]) == pytest.approx(answer["value"], rel=1e-6)


# The column of predictions.csv that holds a row's true target, where the predicted rows have it.
TRUE_COLUMN = "true_value"


def same_truth(written: list[str], datamodule: Any, positions: list[int]) -> None:
    """The true targets predictions.csv wrote for the samples at `positions` are the data module's."""
    assert [float(value) for value in written] == pytest.approx([datamodule.target_values[p] for p in positions])
