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
from .cache import cache_entry, write_entry
from .datamodule import SplitDataModule
from .rows import UNKNOWN, RowEncoder, numbers_of, place, require_filled
from .splitting import Split, SplitIndices

# What the data module fits on the training rows that every tabular model receives: how it reads a row.
FEATURE_ENCODING = ("numeric_columns", "numeric_mean", "numeric_std", "vocabularies")


def require_file(path: Path, role: str) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"{role} {path} does not exist or is not a file.")


def read_csv(path: Path, role: str, text_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of `path`, each cell as text, as the file writes it; only empty cells are missing
    values. With `text_columns`, only those columns (and any column that is not all numbers) are
    text; the others are numbers, which pandas' parser reads many times faster than it converts
    text. The index numbers the rows: 0 is the first row after the header."""
    require_file(path, role)
    cells = {"keep_default_na": False, "na_values": [""]}
    try:
        if text_columns is None:
            frame = pd.read_csv(path, dtype=str, **cells)
        else:
            # low_memory=False: each column is typed whole, never numbers in some rows and text in others.
            frame = pd.read_csv(path, dtype=dict.fromkeys(text_columns, str), low_memory=False, **cells)
            # The parser reads a column of True and False as booleans: read it again, as written.
            booleans = [name for name, column in frame.items() if pd.api.types.is_bool_dtype(column)]
            if booleans:
                frame[booleans] = pd.read_csv(path, usecols=booleans, dtype=str, **cells)
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
    if pd.api.types.is_numeric_dtype(column):
        return True
    # Each distinct value is converted once.
    codes, values = pd.factorize(column)
    text = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").isna().to_numpy()[codes]
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
    # The features and the target: numeric features as float32, categorical ones as categories of
    # their text (as the file writes it), the target as numbers if every cell of it is one, else as categories.
    frame: pd.DataFrame
    numeric_columns: list[str]
    categorical_columns: list[str]
    numeric: np.ndarray  # float32, rows x numeric columns, as in the file
    sample_ids: list[str]  # `<split>/<row>` with a split column, else `<row>`
    row_ids: list[str]  # the id column's values, else the row numbers


def table_of(
    path: Path,
    numeric: np.ndarray,
    numeric_columns: list[str],
    others: dict[str, np.ndarray | pd.Categorical],
    categorical_columns: list[str],
    sample_ids: list[str],
    row_ids: list[str],
) -> Table:
    """The table of the numeric features and the `others` columns (the categorical features and the target)."""
    frame = pd.DataFrame(numeric, columns=numeric_columns, copy=False).assign(**others)
    return Table(path, frame, numeric_columns, categorical_columns, numeric, sample_ids, row_ids)


def parse_table(
    path: Path, target_column: str, categorical_columns: Sequence[str], id_column: str | None, split_column: str
) -> Table:
    """Read and check the data file: every column but the target, the split and the id column is a
    feature, numeric if it holds numbers only and is not listed in `categorical_columns`."""
    names = [*categorical_columns, split_column, *([id_column] if id_column else [])]
    frame = read_csv(path, "csv_path", text_columns=names)
    require_columns(frame, path, [target_column], "Target column")
    require_columns(frame, path, categorical_columns, "Categorical column(s)")
    if id_column:
        require_columns(frame, path, [id_column], "Id column")
    features = [name for name in frame.columns if name not in {target_column, split_column, id_column}]
    if not features:
        raise ValueError(f"{path} has no feature columns besides the target {target_column!r}.")
    require_filled(frame, [*features, *([id_column] if id_column else [])], str(path))
    numeric = [name for name in features if name not in categorical_columns and holds_numbers(frame[name], path)]
    categorical = [name for name in features if name not in numeric]
    others = {
        name: frame[name].to_numpy() if pd.api.types.is_numeric_dtype(frame[name]) else pd.Categorical(frame[name])
        for name in [*categorical, target_column]
    }
    rows = [str(row) for row in frame.index]
    if split_column in frame.columns:
        sample_ids = [f"{split}/{row}" for split, row in zip(frame[split_column], rows, strict=True)]
    else:
        sample_ids = rows
    row_ids = frame[id_column].tolist() if id_column else rows
    return table_of(path, numbers_of(frame, numeric, str(path)), numeric, others, categorical, sample_ids, row_ids)


def save_table(table: Table, folder: Path) -> None:
    """Write `table` to `folder/table.npz`: its numeric features as one array, its other columns as
    numbers or as category codes and values, its ids as text."""
    others = [name for name in table.frame.columns if name not in table.numeric_columns]
    arrays = {}
    for position, name in enumerate(others):
        column = table.frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            arrays[f"codes_{position}"] = column.cat.codes.to_numpy()
            arrays[f"values_{position}"] = column.cat.categories.to_numpy(dtype=str)
        else:
            arrays[f"numbers_{position}"] = column.to_numpy()
    names = ("numeric_columns", "categorical_columns", "sample_ids", "row_ids")
    texts = {name: np.array(getattr(table, name), dtype=str) for name in names}
    np.savez(folder / "table.npz", numeric=table.numeric, others=np.array(others, dtype=str), **texts, **arrays)


def load_table(folder: Path, path: Path) -> Table:
    """The table that `save_table` wrote to `folder`, of the data file `path`."""
    others = {}
    with np.load(folder / "table.npz") as arrays:
        for position, name in enumerate(arrays["others"].tolist()):
            if f"numbers_{position}" in arrays:
                others[name] = arrays[f"numbers_{position}"]
            else:
                others[name] = pd.Categorical.from_codes(arrays[f"codes_{position}"], arrays[f"values_{position}"])
        numeric_columns, categorical_columns, sample_ids, row_ids = (
            arrays[name].tolist() for name in ("numeric_columns", "categorical_columns", "sample_ids", "row_ids")
        )
        numeric = arrays["numeric"]
    return table_of(path, numeric, numeric_columns, others, categorical_columns, sample_ids, row_ids)


def read_table(
    path: Path,
    target_column: str,
    categorical_columns: Sequence[str],
    id_column: str | None,
    split_column: str,
    cache_dir: Path | None = None,
) -> Table:
    """The table of `path` (see `parse_table`), read back from `cache_dir` if this file was parsed
    with these columns before, and kept there if not. None: parse it."""
    columns = (target_column, list(categorical_columns), id_column, split_column)
    if cache_dir is None:
        return parse_table(path, *columns)
    require_file(path, "csv_path")
    entry = cache_entry(cache_dir, path, "table", *columns)
    if entry.is_dir():
        return load_table(entry, path)
    table = parse_table(path, *columns)
    write_entry(entry, lambda folder: save_table(table, folder))
    return table


class TabularRows(Dataset):
    """Encoded rows: `((the model's inputs, in its order), target)` each. The DataLoader reads a
    whole batch at once (`__getitems__`): one indexing of each tensor instead of one per row."""

    def __init__(self, inputs: dict[str, torch.Tensor], targets: torch.Tensor) -> None:
        self.inputs = tuple(inputs.values())
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        return tuple(values[index] for values in self.inputs), self.targets[index]

    def __getitems__(self, indices: list[int]) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        return tuple(values[indices] for values in self.inputs), self.targets[indices]


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
        cache_dir: Where the table, read and checked once, is kept with its column types (read
            again when the file or the columns above change). None: read the CSV file at every run.
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
        cache_dir: str | None = "data/cache",
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
        self.cache_dir = Path(cache_dir) if cache_dir else None
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
            self.csv_path,
            self.target_column,
            self.categorical_columns,
            self.id_column,
            self.split_column,
            self.cache_dir,
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
        train = self.split_indices.train
        frame = self.table.frame
        vocabularies = {
            column: sorted(frame[column].iloc[train].unique().tolist()) for column in self.table.categorical_columns
        }
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
