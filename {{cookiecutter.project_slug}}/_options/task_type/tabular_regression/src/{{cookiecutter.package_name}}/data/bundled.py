"""The bundled default data set: scikit-learn's diabetes data as one CSV file.

scikit-learn ships the 442 patients of the diabetes study, so no download is needed.
They are written, unscaled (`load_diabetes(scaled=False)`), with the raw target (a
measure of disease progression one year after baseline) to `<path>`: the columns
`age, sex, bmi, bp, s1, ..., s6, target, split`.

`sex` is coded 1 and 2 in the source, which does not say which is which; it is
written as the strings "A" (code 1) and "B" (code 2) so that the bundled data
exercise the categorical path. `split` holds train, val or test (70/15/15,
stratified on 5 quantile bins of the target): only the predefined split reads it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from .atomic import write_file

BUNDLED_CSV = Path("data") / "diabetes.csv"
TARGET_COLUMN = "target"
SEX_CODES = {1: "A", 2: "B"}
NUM_BINS = 5


def diabetes_frame() -> pd.DataFrame:
    """The diabetes data with a string `sex` column and a `split` column."""
    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame["sex"] = frame["sex"].round().astype(int).map(SEX_CODES)
    bins = pd.qcut(frame[TARGET_COLUMN], q=NUM_BINS, labels=False)
    positions = list(range(len(frame)))
    _, rest = train_test_split(positions, test_size=0.3, random_state=0, stratify=bins)
    val, test = train_test_split(rest, test_size=0.5, random_state=0, stratify=bins.iloc[rest])
    split = pd.Series("train", index=frame.index)
    split.iloc[val] = "val"
    split.iloc[test] = "test"
    frame["split"] = split
    return frame


def write_bundled_csv(path: Path) -> None:
    """Write the diabetes CSV to `path` unless it is already there (idempotent, atomic)."""
    if not path.is_file():
        write_file(path, lambda staging: diabetes_frame().to_csv(staging, index=False))
