"""Data module for regression over a CSV file: numeric and categorical features, one numeric target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from torch.utils.data import Dataset

from .bundled import write_diabetes
from .datamodule import SplitDataModule
from .splitting import Split, SplitIndices

BUNDLED_CSV = Path("data") / "diabetes.csv"
# The index of a category that no training row has (at predict time, or in val/test rows).
UNKNOWN = 0


def row_name(row: int) -> str:
    """A data row by its 0-based number (its id in predictions) and its line in the file (the header is line 1)."""
    return f"row {row} (line {row + 2})"


class Table(NamedTuple):
    """The rows of a CSV file, features split into numeric and categorical columns."""

    sample_ids: list[str]  # `<split>/<row>` when the file has a split column, else `<row>`
    row_ids: list[str]  # the id column's values, or the row numbers
    labels: list[int]  # the quantile bin of each row's target: what stratified splits keep
    numeric_columns: list[str]
    categorical_columns: list[str]
    numeric: np.ndarray  # float32, (rows, numeric columns), unscaled: the model scales them
    categories: np.ndarray  # str objects, (rows, categorical columns)
    targets: np.ndarray  # float32, (rows,), in the target's own units; NaN when unknown


class CategoryEncoder:
    """Map each categorical column's values to indices: 1, 2, ... for the categories of
    the training rows (sorted), 0 (`UNKNOWN`) for any other value."""

    def __init__(self, vocabularies: dict[str, list[str]]) -> None:
        self.load(vocabularies)

    def load(self, vocabularies: dict[str, list[str]]) -> None:
        """Replace the vocabularies in place: the datasets that share this encoder follow."""
        self.vocabularies = {column: list(values) for column, values in vocabularies.items()}
        self.index = {
            column: {value: position + 1 for position, value in enumerate(values)}
            for column, values in self.vocabularies.items()
        }

    @property
    def columns(self) -> list[str]:
        return list(self.vocabularies)

    @property
    def sizes(self) -> list[int]:
        """Embedding rows per column: its categories plus the unknown index."""
        return [len(values) + 1 for values in self.vocabularies.values()]

    def encode(self, values: Sequence[str]) -> list[int]:
        return [self.index[column].get(value, UNKNOWN) for column, value in zip(self.vocabularies, values, strict=True)]


class FeatureNoise:
    """Training-only augmentation: add Gaussian noise of `std` (one value per numeric column)."""

    def __init__(self, std: Sequence[float]) -> None:
        self.std = torch.tensor(std, dtype=torch.float32)

    def __call__(self, numeric: torch.Tensor) -> torch.Tensor:
        return numeric + torch.randn_like(numeric) * self.std


class TabularRows(Dataset):
    """Rows as `((numeric features, category indices), target)`; categories are encoded
    when read, with the encoder shared with the data module."""

    def __init__(
        self,
        numeric: np.ndarray,
        categories: np.ndarray,
        targets: np.ndarray,
        row_ids: list[str],
        encoder: CategoryEncoder,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.numeric = numeric
        self.categories = categories
        self.targets = targets
        self.row_ids = row_ids
        self.encoder = encoder
        self.transform = transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        numeric = torch.from_numpy(self.numeric[index])
        if self.transform is not None:
            numeric = self.transform(numeric)
        categories = torch.tensor(self.encoder.encode(self.categories[index]), dtype=torch.long)
        return (numeric, categories), torch.tensor(self.targets[index])


def read_header(path: Path, role: str) -> list[str]:
    if not path.is_file():
        raise FileNotFoundError(f"{role} {path} does not exist or is not a file.")
    try:
        return [str(column) for column in pd.read_csv(path, nrows=0).columns]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"Cannot read {role} {path} as CSV: {error}") from error


def require_columns(path: Path, header: list[str], wanted: Sequence[str], what: str) -> None:
    missing = [column for column in wanted if column not in header]
    if missing:
        raise ValueError(
            f"{path} has no column {', '.join(repr(c) for c in missing)} ({what}); "
            f"its columns are: {', '.join(header)}."
        )


def as_numbers(values: pd.Series, path: Path, what: str) -> np.ndarray:
    """The column as float32, or an error naming the first row that holds no number."""
    numbers = pd.to_numeric(values, errors="coerce")
    empty = values.isna()
    not_numbers = numbers.isna() & ~empty
    if not_numbers.any():
        row = int(np.flatnonzero(not_numbers.to_numpy())[0])
        raise ValueError(f"{path}: {row_name(row)} has {values.iloc[row]!r} in {what}, which is not a number.")
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise ValueError(f"{path}: {row_name(row)} has no value in {what} ({int(empty.sum())} rows are empty there).")
    return numbers.to_numpy(dtype=np.float32)


def as_strings(values: pd.Series, path: Path, what: str) -> np.ndarray:
    empty = values.isna()
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise ValueError(f"{path}: {row_name(row)} has no value in {what} ({int(empty.sum())} rows are empty there).")
    return values.astype(str).to_numpy(dtype=object)


def target_bins(targets: np.ndarray, num_bins: int) -> list[int]:
    """Quantile bin of each target (`num_bins` equal-count bins, fewer when values repeat)."""
    if len(np.unique(targets)) < 2:
        return [0] * len(targets)
    bins = pd.qcut(targets, q=num_bins, labels=False, duplicates="drop")
    return [int(label) for label in bins]


def read_features(
    path: Path, frame: pd.DataFrame, numeric_columns: list[str], categorical_columns: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    numeric = np.zeros((len(frame), len(numeric_columns)), dtype=np.float32)
    for position, column in enumerate(numeric_columns):
        numeric[:, position] = as_numbers(frame[column], path, f"feature column {column!r}")
    categories = np.empty((len(frame), len(categorical_columns)), dtype=object)
    for position, column in enumerate(categorical_columns):
        categories[:, position] = as_strings(frame[column], path, f"feature column {column!r}")
    return numeric, categories


def read_table(
    path: Path,
    target_column: str,
    categorical_columns: Sequence[str] = (),
    split_column: str = "split",
    id_column: str | None = None,
    num_bins: int = 5,
) -> Table:
    """Read a CSV file: `target_column` is the target; `split_column` (when present) and
    `id_column` are no features; every other column is one, categorical when listed in
    `categorical_columns` or when its values are not all numbers."""
    header = read_header(path, "csv_path")
    require_columns(path, header, [target_column], "the target column, data.target_column")
    require_columns(path, header, list(categorical_columns), "listed in data.categorical_columns")
    as_text = [*categorical_columns, split_column, *([id_column] if id_column else [])]
    frame = pd.read_csv(path, dtype={column: str for column in as_text if column in header})
    if frame.empty:
        raise ValueError(f"{path} holds no data rows.")
    not_features = {target_column, split_column, id_column}
    features = [column for column in header if column not in not_features]
    if not features:
        raise ValueError(f"{path} has no feature columns: its columns are {', '.join(header)}.")
    categorical = [
        column
        for column in features
        if column in categorical_columns or is_bool_dtype(frame[column]) or not is_numeric_dtype(frame[column])
    ]
    numeric_columns = [column for column in features if column not in categorical]
    targets = as_numbers(frame[target_column], path, f"the target column {target_column!r}")
    numeric, categories = read_features(path, frame, numeric_columns, categorical)
    rows = range(len(frame))
    if split_column in header:
        sample_ids = [f"{split}/{row}" for split, row in zip(frame[split_column].astype(str), rows, strict=True)]
    else:
        sample_ids = [str(row) for row in rows]
    row_ids = frame[id_column].astype(str).tolist() if id_column in header else [str(row) for row in rows]
    return Table(
        sample_ids=sample_ids,
        row_ids=row_ids,
        labels=target_bins(targets, num_bins),
        numeric_columns=numeric_columns,
        categorical_columns=categorical,
        numeric=numeric,
        categories=categories,
        targets=targets,
    )


class TabularRegressionDataModule(SplitDataModule):
    """Rows of a CSV file with a numeric target column, split by `split`.

    Everything fitted on the data (numeric means and standard deviations, the target's
    mean and standard deviation, the category vocabularies) is fitted on the training
    rows only. The numbers reach the model as init args (kept in its buffers); the
    vocabularies are this module's state, saved in every checkpoint and restored from it.

    Args:
        split: How rows are assigned to train, val and test.
        csv_path: The CSV file. None: the bundled diabetes data, written to
            `data/diabetes.csv` in the working folder on first use.
        target_column: The numeric column to predict.
        categorical_columns: Columns to treat as categories even when they hold numbers;
            columns with values that are not numbers are categorical anyway.
        id_column: A column that names the rows in predictions, never a feature. None, or a
            file without it: rows are named by their 0-based number in the file.
        split_column: The column that holds train, val or test, read by the predefined
            split only; never a feature.
        stratify_bins: Quantile bins of the target that stratified splits keep in proportion.
        feature_noise: Training-only augmentation: Gaussian noise added to numeric features,
            in units of each feature's training standard deviation (0: none).
        batch_size: Rows per batch, on each device.
        num_workers: Processes that load batches (0: load in the main process).
        predict_path: A CSV file of rows to predict (the same feature columns; the target
            may be absent). None: the test split.
    """

    def __init__(
        self,
        split: Split,
        csv_path: str | None = None,
        target_column: str = "target",
        categorical_columns: list[str] | None = None,
        id_column: str | None = None,
        split_column: str = "split",
        stratify_bins: int = 5,
        feature_noise: float = 0.0,
        batch_size: int = 64,
        num_workers: int = 0,
        predict_path: str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        self.save_hyperparameters(ignore=["split"])
        if feature_noise < 0:
            raise ValueError(f"feature_noise={feature_noise} must be 0 or more.")
        self.csv_path = Path(csv_path) if csv_path else BUNDLED_CSV
        self.uses_bundled_data = csv_path is None
        self.target_column = target_column
        self.categorical_columns = list(categorical_columns or [])
        self.id_column = id_column
        self.split_column = split_column
        self.stratify_bins = stratify_bins
        self.feature_noise = feature_noise
        self.predict_path = Path(predict_path) if predict_path else None

    def prepare_data(self) -> None:
        """Write the bundled diabetes CSV if it is the data and not on disk yet."""
        if self.uses_bundled_data:
            write_diabetes(self.csv_path)

    @cached_property
    def table(self) -> Table:
        self.prepare_data()
        return read_table(
            self.csv_path,
            self.target_column,
            self.categorical_columns,
            self.split_column,
            self.id_column,
            self.stratify_bins,
        )

    @property
    def sample_ids(self) -> list[str]:
        return self.table.sample_ids

    @cached_property
    def split_indices(self) -> SplitIndices:
        return self.split.assign(self.table.sample_ids, self.table.labels)

    @cached_property
    def encoder(self) -> CategoryEncoder:
        """Category vocabularies of the training rows."""
        train = self.table.categories[self.split_indices.train]
        return CategoryEncoder(
            {
                column: sorted(set(train[:, position].tolist()))
                for position, column in enumerate(self.table.categorical_columns)
            }
        )

    @property
    def num_features(self) -> int:
        """Number of numeric feature columns."""
        return len(self.table.numeric_columns)

    @property
    def num_targets(self) -> int:
        return 1

    @property
    def feature_mean(self) -> list[float]:
        """Mean of each numeric feature over the training rows."""
        return [float(value) for value in self.table.numeric[self.split_indices.train].astype(np.float64).mean(axis=0)]

    @property
    def feature_std(self) -> list[float]:
        """Standard deviation of each numeric feature over the training rows (1 where it is 0)."""
        std = self.table.numeric[self.split_indices.train].astype(np.float64).std(axis=0)
        return [float(value) if value > 0 else 1.0 for value in std]

    @property
    def target_mean(self) -> float:
        return float(self.table.targets[self.split_indices.train].astype(np.float64).mean())

    @property
    def target_std(self) -> float:
        std = float(self.table.targets[self.split_indices.train].astype(np.float64).std())
        return std if std > 0 else 1.0

    @property
    def category_sizes(self) -> list[int]:
        """Embedding rows of each categorical column: its training categories plus one for unknown ones."""
        return self.encoder.sizes

    def state_dict(self) -> dict[str, Any]:
        """Saved in checkpoints: the category vocabularies, which the model's embeddings were trained with."""
        return {"vocabularies": self.encoder.vocabularies}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the checkpoint's vocabularies (Lightning calls this after `setup` on `--ckpt_path` runs)."""
        vocabularies = state_dict["vocabularies"]
        if list(vocabularies) != self.table.categorical_columns:
            raise ValueError(
                f"The checkpoint was trained with categorical columns {list(vocabularies)}, "
                f"but {self.csv_path} has {self.table.categorical_columns}."
            )
        self.encoder.load(vocabularies)

    def train_transform(self) -> FeatureNoise | None:
        """Augmentation for training only: Gaussian noise on the numeric features."""
        if self.feature_noise == 0 or not self.num_features:
            return None
        return FeatureNoise([self.feature_noise * std for std in self.feature_std])

    def _split_dataset(self, positions: list[int], transform: Callable | None = None) -> TabularRows:
        table = self.table
        return TabularRows(
            numeric=table.numeric[positions],
            categories=table.categories[positions],
            targets=table.targets[positions],
            row_ids=[table.row_ids[i] for i in positions],
            encoder=self.encoder,
            transform=transform,
        )

    def _predict_file_dataset(self, path: Path) -> TabularRows:
        """Rows of `path` with the training file's feature columns; categories unknown to
        the training rows get the unknown index, the target is NaN when absent."""
        table = self.table
        header = read_header(path, "predict_path")
        features = [*table.numeric_columns, *table.categorical_columns]
        require_columns(path, header, features, "a feature column of the training data")
        as_text = [*table.categorical_columns, *([self.id_column] if self.id_column in header else [])]
        frame = pd.read_csv(path, dtype={column: str for column in as_text})
        if frame.empty:
            raise ValueError(f"predict_path {path} holds no data rows.")
        numeric, categories = read_features(path, frame, table.numeric_columns, table.categorical_columns)
        rows = range(len(frame))
        row_ids = frame[self.id_column].astype(str).tolist() if self.id_column in header else [str(r) for r in rows]
        targets = np.full(len(frame), np.nan, dtype=np.float32)
        return TabularRows(numeric, categories, targets, row_ids, self.encoder)

    def setup(self, stage: str) -> None:
        split = self.split_indices
        if stage == "fit":
            self.train_dataset = self._split_dataset(split.train, self.train_transform())
        if stage in ("fit", "validate"):
            self.val_dataset = self._split_dataset(split.val)
        if stage == "test":
            self.test_dataset = self._split_dataset(split.test)
        if stage == "predict":
            if self.predict_path is None:
                self.predict_dataset = self._split_dataset(split.test)
            else:
                self.predict_dataset = self._predict_file_dataset(self.predict_path)
