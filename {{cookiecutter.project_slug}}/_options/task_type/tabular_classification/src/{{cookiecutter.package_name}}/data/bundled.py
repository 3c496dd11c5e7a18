"""The bundled default data set: scikit-learn's wine recognition data as one CSV file.

scikit-learn ships the 178 wines (13 chemical measurements, 3 cultivars), so nothing
is downloaded. The file has one row per wine:

- 12 numeric measurements as scikit-learn names them;
- `alcohol_level`, a categorical column that replaces `alcohol`: `low` (below 12.5 % vol),
  `mid` (below 13.5) or `high`, so that the categorical path of the model is used;
- `target`, the cultivar: `class_0`, `class_1` or `class_2`;
- `split`, `train`, `val` or `test` (stratified 70/15/15): only the predefined split reads it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

from .atomic import write_file

BUNDLED_CSV = Path("data") / "wine.csv"
ALCOHOL_LEVELS = {"low": 12.5, "mid": 13.5, "high": float("inf")}


def alcohol_level(alcohol: float) -> str:
    """The level of an alcohol content (% vol): the first whose upper bound lies above it."""
    return next(level for level, upper in ALCOHOL_LEVELS.items() if alcohol < upper)


def wine_frame() -> pd.DataFrame:
    """The wine data as the CSV file holds it."""
    wine = load_wine(as_frame=True)
    frame = wine.data.copy()
    frame.insert(0, "alcohol_level", [alcohol_level(value) for value in frame.pop("alcohol")])
    frame["target"] = wine.target_names[wine.target.to_numpy()]
    positions = np.arange(len(frame))
    train, rest = train_test_split(positions, test_size=0.3, random_state=0, stratify=wine.target)
    val, test = train_test_split(rest, test_size=0.5, random_state=0, stratify=wine.target.to_numpy()[rest])
    split = np.empty(len(frame), dtype=object)
    for name, members in (("train", train), ("val", val), ("test", test)):
        split[members] = name
    frame["split"] = split
    return frame


def write_bundled_csv(path: Path) -> None:
    """Write the wine data to `path` unless it is already there (idempotent, atomic)."""
    if not path.is_file():
        write_file(path, lambda staging: wine_frame().to_csv(staging, index=False))
