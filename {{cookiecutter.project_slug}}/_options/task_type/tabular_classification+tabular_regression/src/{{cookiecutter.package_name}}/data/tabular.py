"""What the tabular data modules share: one CSV file, one row per sample, checked cell by cell; the
feature columns' encoding fitted on the training rows; the split, id and target columns."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch.utils.data import Dataset

from .bundled import BUNDLED_CSV, write_bundled_csv
from .datamodule import SplitDataModule
from .rows import UNKNOWN, RowEncoder, numbers_of, place, require_filled
from .splitting import Split, SplitIndices

# What the data module fits on the training rows that every tabular model receives: how it reads a row.
FEATURE_ENCODING = ("numeric_columns", "numeric_mean", "numeric_std", "vocabularies")


def read_csv(path: Path, role: str) -> pd.DataFrame:
    """Every cell of `path` as text, as the file writes it; only empty cells are missing values.
    The index numbers the rows: 0 is the first row after the header."""
    if not path.is_file():
        raise FileNotFoundError(f"{role} {path} does not exist or is not a file.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"Cannot read {role} {path} as CSV: {error}") from error
    if frame.empty:
        raise ValueError(f"{role} {path} holds no rows.")
    return frame


def require_columns(frame: pd.DataFrame, path: Path, columns: Sequence[str], what: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} {', '.join(repr(name) for name in missing)} not in {path}; "
            f"its columns are: {', '.join(frame.columns)}."
        )


def holds_numbers(column: pd.Series, path: Path) -> bool:
    """Whether every cell of `column` (filled in) is a number. A column of numbers with a few cells of
    text (a typo, a unit) is refused: as a categorical column it would silently lose its numbers."""
    text = pd.to_numeric(column, errors="coerce").isna().to_numpy()
    if 0 < text.sum() <= 0.1 * len(column):
        row = int(column.index[np.flatnonzero(text)[0]])
        raise ValueError(
            f"{place(str(path), row)} holds {column[row]!r} in column {column.name!r}, whose other cells are "
            f"numbers ({int(text.sum())} cells are not): correct them, or list the column in "
            "categorical_columns to treat its values as categories."
        )
    return not text.any()


class Table(NamedTuple):
    """The checked rows of the data file."""

    path: Path
    frame: pd.DataFrame  # every cell as text
    numeric_columns: list[str]
    categorical_columns: list[str]
    numeric: np.ndarray  # float32, rows x numeric columns, as in the file
    sample_ids: list[str]  # `<split>/<row>` with a split column, else `<row>`
    row_ids: list[str]  # the id column's values, else the row numbers


def read_table(
    path: Path, target_column: str, categorical_columns: Sequence[str], id_column: str | None, split_column: str
) -> Table:
    """Read and check the data file: every column but the target, the split and the id column is a
    feature, numeric if it holds numbers only and is not listed in `categorical_columns`."""
    frame = read_csv(path, "csv_path")
    require_columns(frame, path, [target_column], "Target column")
    require_columns(frame, path, categorical_columns, "Categorical column(s)")
    if id_column:
        require_columns(frame, path, [id_column], "Id column")
    features = [name for name in frame.columns if name not in {target_column, split_column, id_column}]
    if not features:
        raise ValueError(f"{path} has no feature columns besides the target {target_column!r}.")
    require_filled(frame, [*features, *([id_column] if id_column else [])], str(path))
    numeric = [name for name in features if name not in categorical_columns and holds_numbers(frame[name], path)]
    rows = [str(row) for row in frame.index]
    if split_column in frame.columns:
        sample_ids = [f"{split}/{row}" for split, row in zip(frame[split_column], rows, strict=True)]
    else:
        sample_ids = rows
    return Table(
        path=path,
        frame=frame,
        numeric_columns=numeric,
        categorical_columns=[name for name in features if name not in numeric],
        numeric=numbers_of(frame, numeric, str(path)),
        sample_ids=sample_ids,
        row_ids=frame[id_column].tolist() if id_column else rows,
    )


class TabularRows(Dataset):
    """Encoded rows: `((the model's inputs, in its order), target)` each."""

    def __init__(self, inputs: dict[str, torch.Tensor], targets: torch.Tensor) -> None:
        self.inputs = tuple(inputs.values())
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        return tuple(values[index] for values in self.inputs), self.targets[index]


class TabularDataModule(SplitDataModule):
    """A CSV file with one row per sample, split by `split`; subclasses read the target.

    Every column except `target_column`, `id_column` and `split_column` is a feature. Numeric
    columns reach the model as they are, with their mean and standard deviation over the training
    rows, which the model standardizes them with; the other columns, and those listed in
    `categorical_columns`, are categories, coded after the values of the training rows (any other
    value: the unknown code 0). All of it is fitted on the training rows only and linked to the
    model, which keeps it in its checkpoint.

    Args:
        split: How rows are assigned to train, val and test. The predefined split reads
            `split_column` (train, val or test).
        csv_path: The data file. None: the bundled data, written to `data/` in the working
            folder on first use.
        target_column: The column to predict.
        categorical_columns: Columns of numbers to treat as categories (codes, for instance);
            columns that hold text are categorical anyway.
        id_column: A column that names each row in predictions, never a feature. None: the
            row's number in the file (0: the first row after the header).
        split_column: The column the predefined split reads, never a feature.
        feature_noise: Training only: Gaussian noise added to the numeric features, in units of
            each one's standard deviation (0: none).
        batch_size: Rows per batch, on each device.
        num_workers: Processes that load batches (0: load in the main process).
        predict_path: A CSV file of rows to predict (the feature columns; the target is not
            needed; the id column names them where the file has it). None: the test split.
    """

    def __init__(
        self,
        split: Split,
        csv_path: str | None = None,
        target_column: str = "target",
        categorical_columns: list[str] | None = None,
        id_column: str | None = None,
        split_column: str = "split",
        feature_noise: float = 0.0,
        batch_size: int = 64,
        num_workers: int = 0,
        predict_path: str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        self.save_hyperparameters(ignore=["split"], logger=False)
        if feature_noise < 0:
            raise ValueError(f"feature_noise={feature_noise} must be 0 or more.")
        self.csv_path = Path(csv_path) if csv_path else BUNDLED_CSV
        self.uses_bundled_data = csv_path is None
        self.target_column = target_column
        self.categorical_columns = list(categorical_columns or [])
        self.id_column = id_column
        self.split_column = split_column
        self.feature_noise = feature_noise
        self.predict_path = Path(predict_path) if predict_path else None

    def prepare_data(self) -> None:
        """Write the bundled data if they are the data and not on disk yet."""
        if self.predict_path is not None and self.trainer is not None and self.trainer.predicting:
            return  # predicting other rows: the training data are not needed, nor read
        if self.uses_bundled_data:
            write_bundled_csv(self.csv_path)

    @cached_property
    def table(self) -> Table:
        # The linked values need the table before the trainer calls prepare_data.
        if self.uses_bundled_data:
            write_bundled_csv(self.csv_path)
        return read_table(
            self.csv_path, self.target_column, self.categorical_columns, self.id_column, self.split_column
        )

    @property
    def sample_ids(self) -> list[str]:
        return self.table.sample_ids

    @property
    def split_labels(self) -> Sequence[Hashable]:
        """What stratified splits keep in proportion: each row's class, or its target's range."""
        raise NotImplementedError

    @cached_property
    def split_indices(self) -> SplitIndices:
        indices = self.split.assign(self.table.sample_ids, self.split_labels)
        if not indices.train:
            raise ValueError(f"The split of {self.table.path} leaves no training rows.")
        return indices

    @cached_property
    def numeric_columns(self) -> list[str]:
        """The numeric feature columns, in the order of the model's input."""
        return self.table.numeric_columns

    @cached_property
    def numeric_mean(self) -> list[float]:
        """Each numeric column's mean over the training rows."""
        return [float(value) for value in self.table.numeric[self.split_indices.train].astype(np.float64).mean(axis=0)]

    @cached_property
    def numeric_std(self) -> list[float]:
        """Each numeric column's standard deviation over the training rows (population); 1 for a constant column."""
        std = self.table.numeric[self.split_indices.train].astype(np.float64).std(axis=0)
        return [float(value) if value > 0 else 1.0 for value in std]

    @cached_property
    def vocabularies(self) -> dict[str, list[str]]:
        """Each categorical column, in the order of the model's input, with its values in the training rows, sorted."""
        train = self.table.frame.iloc[self.split_indices.train]
        vocabularies = {column: sorted(set(train[column])) for column in self.table.categorical_columns}
        for column, values in vocabularies.items():
            if len(values) == len(train) >= 20:
                rank_zero_warn(
                    f"Categorical column {column!r} has a different value in each of the {len(train)} training rows: "
                    f"if it names the rows, make it the id column (--data.id_column {column})."
                )
        return vocabularies

    @property
    def encoder(self) -> RowEncoder:
        """How a row becomes the model's inputs: with the linked values, fitted here or the checkpoint's."""
        return RowEncoder(self.numeric_columns, self.vocabularies)

    def targets(self, positions: list[int]) -> torch.Tensor:
        """The targets of the rows at `positions`, as the loss takes them."""
        raise NotImplementedError

    def no_targets(self, count: int) -> torch.Tensor:
        """Stand-ins for the targets of `count` rows to predict, which have none."""
        raise NotImplementedError

    def encode(self, frame: pd.DataFrame, path: Path) -> dict[str, torch.Tensor]:
        """The model's inputs of `frame`'s rows of `path`, with a warning for categories the model does not know."""
        encoder = self.encoder
        inputs = encoder.encode(frame, str(path))
        for position, column in enumerate(encoder.vocabularies):
            unknown = frame[column][(inputs["categories"][:, position] == UNKNOWN).numpy()]
            if len(unknown):
                values = ", ".join(repr(value) for value in sorted(set(unknown))[:5])
                rank_zero_warn(
                    f"{len(unknown)} rows of {path} hold a value of column {column!r} that no training row had "
                    f"({values}): the model reads it as unknown (code {UNKNOWN})."
                )
        return inputs

    def split_dataset(self, positions: list[int], train: bool = False) -> Dataset:
        frame = self.table.frame.iloc[positions]
        return TabularRows(self.encode(frame, self.table.path), self.targets(positions))

    def prediction_dataset(self) -> tuple[Dataset, list[str]]:
        if self.predict_path is None:
            positions = self.split_indices.test
            return self.split_dataset(positions), [self.table.row_ids[i] for i in positions]
        frame = read_csv(self.predict_path, "predict_path")
        inputs = self.encode(frame, self.predict_path)
        has_ids = self.id_column in frame.columns
        names = frame[self.id_column].tolist() if has_ids else [str(row) for row in frame.index]
        return TabularRows(inputs, self.no_targets(len(frame))), names

    def on_after_batch_transfer(
        self, batch: tuple[list[torch.Tensor], torch.Tensor], dataloader_idx: int
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        inputs, targets = batch
        if self.feature_noise and self.numeric_columns and self.trainer is not None and self.trainer.training:
            numeric, *others = inputs  # the numeric input comes first
            std = torch.tensor(self.numeric_std, device=numeric.device)
            inputs = [numeric + torch.randn_like(numeric) * (self.feature_noise * std), *others]
        return inputs, targets
