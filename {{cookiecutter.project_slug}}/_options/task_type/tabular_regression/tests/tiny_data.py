"""A tiny regression data set for the tests: two numeric columns, one colour, a noisy linear target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

COLOURS = ("red", "green", "blue")
COLOUR_OFFSET = {"red": 0.0, "green": 6.0, "blue": -6.0}
NUM_ROWS = 60
FILE_NAME = "tiny.csv"
TARGET = "y"


def tiny_frame() -> pd.DataFrame:
    """Row r has colour COLOURS[r % 3]; rows come in blocks of three (one of each colour):
    blocks 0-3 of every six train, block 4 validates, block 5 tests (42/9/9 rows)."""
    rng = np.random.default_rng(0)
    rows = np.arange(NUM_ROWS)
    colour = [COLOURS[row % 3] for row in rows]
    x1 = rng.normal(5.0, 2.0, NUM_ROWS).round(3)
    x2 = rng.uniform(0.0, 10.0, NUM_ROWS).round(3)
    noise = rng.normal(0.0, 1.0, NUM_ROWS)
    target = 50 + 3 * x1 - 2 * x2 + np.array([COLOUR_OFFSET[c] for c in colour]) + noise
    split = [("train", "train", "train", "train", "val", "test")[(row // 3) % 6] for row in rows]
    return pd.DataFrame({"x1": x1, "colour": colour, "x2": x2, TARGET: target.round(3), "split": split})


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/tiny.csv` (with a split column, for the predefined split; other
    strategies ignore it) and return the arguments that point the data module at it."""
    root.mkdir(parents=True, exist_ok=True)
    tiny_frame().to_csv(root / FILE_NAME, index=False)
    return ["--data.csv_path", str(root / FILE_NAME), "--data.target_column", TARGET]
