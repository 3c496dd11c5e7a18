"""A tiny table for the tests: three classes told apart by `size`, with a categorical `colour`."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

CLASSES = ("bird", "cat", "dog")
COLOURS = ("blue", "green", "red")
ROWS_PER_SPLIT = {"train": 10, "val": 4, "test": 4}  # per class
NUMERIC_COLUMNS = ["size", "weight"]
HEADER = ["sample", "size", "colour", "weight", "target", "split"]
FILE_NAME = "tiny.csv"


def tiny_rows() -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    rows = []
    for split, count in ROWS_PER_SPLIT.items():
        for class_index, name in enumerate(CLASSES):
            for number in range(count):
                rows.append(
                    {
                        "sample": f"{split}-{name}-{number}",
                        "size": round(3.0 * class_index + rng.normal(0.0, 0.5), 3),
                        "colour": COLOURS[(class_index + number) % len(COLOURS)],
                        "weight": round(rng.normal(10.0, 3.0), 3),
                        "target": name,
                        "split": split,
                    }
                )
    return rows


def write_csv(path: Path, rows: list[dict[str, object]], header: list[str] | None = None) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/tiny.csv` (with a `split` column for the predefined strategy) and return
    the arguments that point the data module at it."""
    path = write_csv(root / FILE_NAME, tiny_rows(), HEADER)
    return ["--data.csv_path", str(path), "--data.id_column", "sample"]
