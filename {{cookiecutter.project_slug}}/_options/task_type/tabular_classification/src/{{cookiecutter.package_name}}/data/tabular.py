"""Data module for tabular classification: one CSV file, one row per sample, one class column."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from lightning.pytorch.utilities import rank_zero_warn
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import Dataset

from .bundled import write_wine_csv
from .datamodule import SplitDataModule
from .splitting import Split, SplitIndices

BUNDLED_CSV = Path("data") / "wine.csv"
# The column that holds each row's predefined split: read by the predefined strategy, never a feature.
SPLIT_COLUMN = "split"
# The index of a category not seen in training; the seen ones are numbered from 1.
UNKNOWN = 0


class Table(NamedTuple):
    """The checked rows of the data file, with what the split and the model need."""

    path: Path
    sample_ids: list[str]  # `<split>/<row>` with a split column, else `<row>`
    labels: list[int]  # index of each row's class in `class_names`
    class_names: list[str]
    numeric_columns: list[str]
    categorical_columns: list[str]
    numeric: np.ndarray  # float32, rows x numeric columns, as in the file (the model scales them)
    categories: np.ndarray  # str, rows x categorical columns
    row_ids: list[str]  # the id column's values, else the row numbers (0 = first row after the header)


def read_csv(path: Path, text_columns: Sequence[str]) -> pd.DataFrame:
    """Read `path`, with `text_columns` (where present) as strings."""
    if not path.is_file():
        raise FileNotFoundError(f"CSV file {path} does not exist.")
    frame = pd.read_csv(path, dtype=dict.fromkeys(text_columns, str))
    if frame.empty:
        raise ValueError(f"{path} holds no rows.")
    frame.columns = [str(name) for name in frame.columns]
    return frame


def row_and_line(row: int) -> str:
    return f"row {row} (line {row + 2})"


def require_columns(frame: pd.DataFrame, path: Path, columns: Sequence[str], what: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} {', '.join(repr(name) for name in missing)} not in {path}; "
            f"its columns are: {', '.join(frame.columns)}."
        )


def require_values(frame: pd.DataFrame, path: Path, columns: Sequence[str]) -> None:
    """Refuse empty cells (NaN) in `columns`, naming the first one."""
    empty = frame[list(columns)].isna().to_numpy()
    if empty.any():
        row, column = np.argwhere(empty)[0]
        raise ValueError(
            f"{path}: {row_and_line(int(row))} has no value in column {columns[column]!r} "
            f"({int(empty.sum())} empty cells in the feature columns): fill them in or drop those rows."
        )


def numeric_values(frame: pd.DataFrame, path: Path, columns: Sequence[str]) -> np.ndarray:
    """The `columns` as float32, naming the first cell that is not a number."""
    values = np.empty((len(frame), len(columns)), dtype=np.float32)
    for position, name in enumerate(columns):
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy())
        if bad.size:
            row = int(bad[0])
            raise ValueError(
                f"{path}: {row_and_line(row)} holds {frame[name].iloc[row]!r} in numeric column {name!r}, not a number."
            )
        values[:, position] = numbers.to_numpy(dtype=np.float32)
    return values


def refuse_stray_text(column: pd.Series, path: Path) -> None:
    """Refuse a column of numbers with a few text cells (a typo, a unit): it would become categorical."""
    text = pd.to_numeric(column, errors="coerce").isna().to_numpy()
    if 0 < text.sum() <= 0.1 * len(column):
        row = int(np.flatnonzero(text)[0])
        raise ValueError(
            f"Column {column.name!r} of {path} holds numbers but {column.iloc[row]!r} at {row_and_line(row)} "
            f"({int(text.sum())} cells that are not numbers): correct them, or list the column in "
            "categorical_columns to treat its values as categories."
        )


def class_labels(series: pd.Series, path: Path) -> tuple[list[int], list[str]]:
    """Each row's class index and the sorted class names. Labels may be strings or integers
    (sorted as numbers); numbers with a fraction are refused: they are a regression target."""
    empty = np.flatnonzero(series.isna().to_numpy())
    if empty.size:
        raise ValueError(f"{path}: {row_and_line(int(empty[0]))} has no label in target column {series.name!r}.")
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        numbers = series.to_numpy(dtype=np.float64)
        fractional = np.flatnonzero(numbers != np.round(numbers))
        if fractional.size:
            row = int(fractional[0])
            raise ValueError(
                f"Target column {series.name!r} of {path} holds {numbers[row]} at {row_and_line(row)}: "
                "a number with a fraction is not a class label. Classes are strings or integers; "
                "for a continuous target, render the template with task_type=tabular_regression."
            )
        values = numbers.astype(np.int64).tolist()
        classes = sorted(set(values))
        names = [str(value) for value in classes]
    else:
        values = series.astype(str).tolist()
        classes = names = sorted(set(values))
    if len(classes) < 2:
        raise ValueError(f"Target column {series.name!r} of {path} has one class only ({names[0]}): need two or more.")
    index = {value: position for position, value in enumerate(classes)}
    return [index[value] for value in values], names


def read_table(path: Path, target_column: str, categorical_columns: Sequence[str], id_column: str | None) -> Table:
    """Read and check the data file: every column except the target, `split` and the id
    column is a feature; non-numeric ones and `categorical_columns` are categorical."""
    text_columns = [*categorical_columns, *([id_column] if id_column else [])]
    frame = read_csv(path, text_columns)
    require_columns(frame, path, [target_column], "Target column")
    require_columns(frame, path, categorical_columns, "Categorical column(s)")
    if id_column:
        require_columns(frame, path, [id_column], "Id column")
    features = [name for name in frame.columns if name not in {target_column, SPLIT_COLUMN, id_column}]
    if not features:
        raise ValueError(f"{path} has no feature columns besides the target {target_column!r}.")
    require_values(frame, path, features)
    categorical = [
        name
        for name in features
        if name in categorical_columns
        or not pd.api.types.is_numeric_dtype(frame[name])
        or pd.api.types.is_bool_dtype(frame[name])
    ]
    for name in categorical:
        if name not in categorical_columns:
            refuse_stray_text(frame[name], path)
    numeric = [name for name in features if name not in categorical]
    labels, class_names = class_labels(frame[target_column], path)
    rows = range(len(frame))
    if SPLIT_COLUMN in frame.columns:
        sample_ids = [f"{split}/{row}" for split, row in zip(frame[SPLIT_COLUMN].astype(str), rows, strict=True)]
    else:
        sample_ids = [str(row) for row in rows]
    return Table(
        path=path,
        sample_ids=sample_ids,
        labels=labels,
        class_names=class_names,
        numeric_columns=numeric,
        categorical_columns=categorical,
        numeric=numeric_values(frame, path, numeric),
        categories=frame[categorical].astype(str).to_numpy(dtype=object).reshape(len(frame), len(categorical)),
        row_ids=frame[id_column].astype(str).tolist() if id_column else [str(row) for row in rows],
    )


class CategoryEncoder:
    """Map each categorical column's values to indices: 1 to n for the n values of the
    training rows (sorted), `UNKNOWN` (0) for any other value, with a warning.

    The data sets share this object: loading a checkpoint's vocabularies into it
    changes the encoding of every data set at once.
    """

    def __init__(self, columns: Sequence[str], vocabularies: Sequence[Sequence[str]]) -> None:
        self.columns = list(columns)
        self._reported: set[tuple[str, str]] = set()
        self.set_vocabularies(vocabularies)

    def set_vocabularies(self, vocabularies: Sequence[Sequence[str]]) -> None:
        if len(vocabularies) != len(self.columns):
            raise ValueError(f"{len(vocabularies)} vocabularies for {len(self.columns)} categorical columns.")
        self.vocabularies = [list(vocabulary) for vocabulary in vocabularies]
        self._index = [{value: UNKNOWN + 1 + i for i, value in enumerate(v)} for v in self.vocabularies]

    @property
    def cardinalities(self) -> list[int]:
        """The number of known categories of each column (the unknown one aside)."""
        return [len(vocabulary) for vocabulary in self.vocabularies]

    def encode(self, values: Sequence[str]) -> torch.Tensor:
        codes = []
        for column, index, value in zip(self.columns, self._index, values, strict=True):
            code = index.get(value, UNKNOWN)
            if code == UNKNOWN and (column, value) not in self._reported:
                self._reported.add((column, value))
                warnings.warn(
                    f"Category {value!r} of column {column!r} was not seen in training: "
                    f"it is encoded as the unknown category (index {UNKNOWN}).",
                    stacklevel=2,
                )
            codes.append(code)
        return torch.tensor(codes, dtype=torch.long)


class TabularRows(Dataset):
    """Rows of a table: `((numeric features, category indices), class index)` each.
    Categories are encoded when a row is read, with the shared `encoder`."""

    def __init__(
        self,
        numeric: np.ndarray,
        categories: np.ndarray,
        labels: Sequence[int],
        row_ids: Sequence[str],
        encoder: CategoryEncoder,
    ) -> None:
        self.numeric = torch.as_tensor(numeric, dtype=torch.float32)
        self.categories = categories
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.row_ids = list(row_ids)
        self.encoder = encoder

    def __len__(self) -> int:
        return len(self.row_ids)

    def __getitem__(self, index: int) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        return (self.numeric[index], self.encoder.encode(self.categories[index])), self.labels[index]


class TabularClassificationDataModule(SplitDataModule):
    """A CSV file with one row per sample and a class column, split by `split`.

    Every column except `target_column`, `id_column` and `split` is a feature:
    numeric columns are standardized by the model with the training rows' mean and
    standard deviation; non-numeric columns, and those in `categorical_columns`, are
    categories, numbered after the training rows' values (others: the unknown index 0).
    Both are fitted on the training split only and saved with the checkpoint.

    Args:
        split: How rows are assigned to train, val and test. The predefined split reads
            the `split` column (train, val or test), which is never a feature.
        csv_path: The data file. None: the bundled wine data, written to `data/wine.csv`
            in the working folder on first use.
        target_column: The column of class labels (strings or integers).
        categorical_columns: Numeric columns to treat as categories (e.g. codes).
        id_column: A column that names each row, written by predict; None: the row number.
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches (0: load in the main process).
        predict_csv: Rows to predict (the feature columns; the target is not needed).
            None: the test split.
    """

    def __init__(
        self,
        split: Split,
        csv_path: str | None = None,
        target_column: str = "target",
        categorical_columns: list[str] | None = None,
        id_column: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        predict_csv: str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        self.save_hyperparameters(ignore=["split"])
        self.csv_path = Path(csv_path) if csv_path else BUNDLED_CSV
        self.uses_bundled_data = csv_path is None
        self.target_column = target_column
        self.categorical_columns = list(categorical_columns or [])
        self.id_column = id_column
        self.predict_csv = Path(predict_csv) if predict_csv else None

    def prepare_data(self) -> None:
        """Write the bundled wine data if they are the data and not on disk yet."""
        if self.uses_bundled_data:
            write_wine_csv(self.csv_path)

    @cached_property
    def table(self) -> Table:
        self.prepare_data()
        return read_table(self.csv_path, self.target_column, self.categorical_columns, self.id_column)

    @property
    def sample_ids(self) -> list[str]:
        return self.table.sample_ids

    @cached_property
    def split_indices(self) -> SplitIndices:
        table = self.table
        indices = self.split.assign(table.sample_ids, table.labels)
        if not indices.train:
            raise ValueError(f"The split of {table.path} leaves no training rows.")
        trained = {table.labels[i] for i in indices.train}
        for name, positions in (("val", indices.val), ("test", indices.test)):
            unseen = sorted({table.labels[i] for i in positions} - trained)
            if unseen:
                labels = ", ".join(repr(table.class_names[i]) for i in unseen)
                raise ValueError(
                    f"Label {labels} of {table.path} is in the {name} split but in no training row, "
                    "so the model cannot learn it: add training rows of that class or change the split."
                )
        return indices

    @property
    def class_names(self) -> list[str]:
        """The classes, sorted (as numbers when the labels are integers)."""
        return self.table.class_names

    @property
    def num_classes(self) -> int:
        """Number of classes: the model's output size."""
        return len(self.table.class_names)

    @property
    def num_features(self) -> int:
        """Number of numeric feature columns."""
        return len(self.table.numeric_columns)

    @property
    def class_weights(self) -> list[float]:
        """Per-class loss weights, inversely proportional to class frequency in the training split."""
        train_labels = [self.table.labels[i] for i in self.split_indices.train]
        weights = compute_class_weight("balanced", classes=np.arange(self.num_classes), y=train_labels)
        return [float(weight) for weight in weights]

    @cached_property
    def scaler(self) -> StandardScaler | None:
        """Mean and standard deviation of each numeric column over the training rows; None without any."""
        if not self.table.numeric_columns:
            return None
        return StandardScaler().fit(self.table.numeric[self.split_indices.train].astype(np.float64))

    @property
    def numeric_mean(self) -> list[float]:
        return [] if self.scaler is None else [float(value) for value in self.scaler.mean_]

    @property
    def numeric_std(self) -> list[float]:
        """Standard deviations (population); 1 for a constant column."""
        return [] if self.scaler is None else [float(value) for value in self.scaler.scale_]

    @cached_property
    def encoder(self) -> CategoryEncoder:
        """Category vocabularies of the training rows."""
        train = self.table.categories[self.split_indices.train]
        vocabularies = [sorted(set(train[:, column])) for column in range(train.shape[1])]
        for name, vocabulary in zip(self.table.categorical_columns, vocabularies, strict=True):
            if len(vocabulary) == len(train) >= 20:
                rank_zero_warn(
                    f"Categorical column {name!r} has a different value in each of the {len(train)} training rows: "
                    f"if it names the rows, set it as the id column (--data.id_column {name})."
                )
        return CategoryEncoder(self.table.categorical_columns, vocabularies)

    @property
    def category_cardinalities(self) -> list[int]:
        """Number of categories seen in training, per categorical column."""
        return self.encoder.cardinalities

    def _split_dataset(self, positions: list[int]) -> TabularRows:
        table = self.table
        return TabularRows(
            table.numeric[positions],
            table.categories[positions],
            [table.labels[i] for i in positions],
            [table.row_ids[i] for i in positions],
            self.encoder,
        )

    def _predict_rows(self, path: Path) -> TabularRows:
        """Unlabelled rows to predict: the feature columns of the data, in any order."""
        table = self.table
        id_columns = [self.id_column] if self.id_column else []
        frame = read_csv(path, [*table.categorical_columns, *id_columns])
        features = [*table.numeric_columns, *table.categorical_columns]
        require_columns(frame, path, [*features, *id_columns], "Column(s)")
        require_values(frame, path, features)
        rows = len(frame)
        return TabularRows(
            numeric_values(frame, path, table.numeric_columns),
            frame[table.categorical_columns].astype(str).to_numpy(dtype=object).reshape(rows, -1),
            [-1] * rows,  # -1: no class
            frame[self.id_column].astype(str).tolist() if self.id_column else [str(row) for row in range(rows)],
            self.encoder,
        )

    def setup(self, stage: str) -> None:
        split = self.split_indices
        if stage == "fit":
            self.train_dataset = self._split_dataset(split.train)
        if stage in ("fit", "validate"):
            self.val_dataset = self._split_dataset(split.val)
        if stage == "test":
            self.test_dataset = self._split_dataset(split.test)
        if stage == "predict":
            if self.predict_csv is None:
                self.predict_dataset = self._split_dataset(split.test)
            else:
                self.predict_dataset = self._predict_rows(self.predict_csv)

    def state_dict(self) -> dict[str, Any]:
        """What the checkpoint keeps of the data: the columns, classes and category vocabularies."""
        return {
            "numeric_columns": self.table.numeric_columns,
            "categorical_columns": self.table.categorical_columns,
            "class_names": self.class_names,
            "category_vocabularies": self.encoder.vocabularies,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Encode categories as the checkpoint's training rows did (Lightning calls this after
        `setup` on `--ckpt_path` runs); refuse data whose columns or classes differ."""
        for key in ("numeric_columns", "categorical_columns", "class_names"):
            if list(state_dict[key]) != getattr(self.table, key):
                raise ValueError(
                    f"The checkpoint was trained with {key} {list(state_dict[key])}, "
                    f"but {self.table.path} has {getattr(self.table, key)}."
                )
        self.encoder.set_vocabularies(state_dict["category_vocabularies"])
