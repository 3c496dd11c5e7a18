"""What the tabular data modules share: one CSV file, one row per sample, checked cell by cell; the
feature columns' encoding fitted on the training rows; the split, id and target columns."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from lightning.pytorch.utilities import rank_zero_warn
from pandas.tseries.api import guess_datetime_format
from torch.utils.data import Dataset

from .bundled import BUNDLED_CSV, write_bundled_csv
from .cache import cache_entry, write_entry
from .datamodule import SplitDataModule
from .rows import MISSING_CATEGORY, MISSING_VALUES, UNKNOWN, RowEncoder, numbers_of, parse_dates, place, require_filled
from .splitting import Split, SplitIndices

# What the data module fits on the training rows that every tabular model receives: how it reads a row.
FEATURE_ENCODING = (
    "numeric_columns",
    "date_columns",
    "vocabularies",
    "numeric_mean",
    "numeric_std",
    "numeric_fill",
    "missing_indicators",
)
# A column of text with more distinct values than this share of the training rows (and `MANY_VALUES`)
# names the rows, or is free text: its values teach the model nothing.
DISTINCT_SHARE = 0.5
MANY_VALUES = 20


def require_file(path: Path, role: str) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"{role} {path} does not exist or is not a file.")


def read_csv(path: Path, role: str, text_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of `path`, each cell as text, as the file writes it, NaN for a missing value (an
    empty cell or a spelling of `MISSING_VALUES`, in any column). With `text_columns`, only those
    columns (and any column that is not all numbers) are text; the others are numbers, which pandas'
    parser reads many times faster than it converts text. The index numbers the rows: 0 is the
    first row after the header."""
    require_file(path, role)
    cells = {"keep_default_na": False, "na_values": sorted(MISSING_VALUES)}
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


def few_failed(column: pd.Series, failed: np.ndarray, kind: str, path: Path, remedy: str) -> bool:
    """Whether no value of `column` failed to be read as `kind` (`failed`: each cell's failure; a
    missing value never fails). A column of such values but for a few (a typo, a unit) is refused:
    read otherwise, it would silently lose its values."""
    if 0 < failed.sum() <= 0.1 * column.notna().sum():
        row = int(column.index[np.flatnonzero(failed)[0]])
        raise ValueError(
            f"{place(str(path), row)} holds {column[row]!r} in column {column.name!r}, whose other cells are "
            f"{kind} ({int(failed.sum())} cells are not): correct them (a missing value is empty, or NA), {remedy}."
        )
    return not failed.any()


def holds_numbers(column: pd.Series, path: Path) -> bool:
    """Whether every value of `column` is a number, or missing."""
    if pd.api.types.is_numeric_dtype(column):
        return True
    # Each distinct value is converted once; code -1: a missing value.
    codes, values = pd.factorize(column)
    failed = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").isna().to_numpy()
    remedy = "or list the column in categorical_columns"
    return few_failed(column, (codes >= 0) & failed[codes], "numbers", path, remedy)


def date_format(column: pd.Series, path: Path) -> str | None:
    """The format that reads every value of `column` as a date (with a year, a month and a day), as
    `guess_datetime_format` guesses it from the first value, or "ISO8601" for ISO dates with and
    without times; None: not a column of dates. Dates that read as well day first as month first,
    and differently, are refused."""
    codes, values = pd.factorize(column)
    if not len(values):
        return None
    guessed = [guess_datetime_format(values[0], dayfirst=dayfirst) for dayfirst in (False, True)]
    formats = [
        form
        for form in dict.fromkeys(guessed)
        if form and "%Y" in form and "%d" in form and any(code in form for code in ("%m", "%b", "%B"))
    ]
    if formats and formats[0].startswith("%Y-%m-%d"):
        formats = [formats[0], "ISO8601"]  # ISO dates, and their times where some have one
    # Each distinct value is read once.
    readings = {form: parse_dates(pd.Series(values, dtype=object), form) for form in formats}
    fitting = [form for form, dates in readings.items() if dates.notna().all()]
    if len(fitting) > 1 and not readings[fitting[0]].equals(readings[fitting[1]]):
        raise ValueError(
            f"Column {column.name!r} of {path} holds dates that read both day first and month first (such as "
            f"{values[0]!r}): write them year first (2024-03-05), or list the column in categorical_columns."
        )
    if fitting or not formats:
        return fitting[0] if fitting else None
    best = min(formats, key=lambda form: readings[form].isna().sum())
    failed = (codes >= 0) & readings[best].isna().to_numpy()[codes]
    remedy = f"or list the column in categorical_columns (its dates read in the format {best})"
    few_failed(column, failed, "dates", path, remedy)
    return None


def content_ids(frame: pd.DataFrame, text_columns: Sequence[str]) -> list[str]:
    """Each row's id from its cells alone, so that a row keeps its id wherever it moves in the file,
    and identical rows share theirs: a hash of its cells, in the columns' name order; of a column of
    numbers (of `text_columns` too, when theirs are all numbers) by value, so that 1.50 is 1.5; of
    any other column as written (a hash of the text)."""
    cells = np.empty((len(frame), len(frame.columns)), dtype=np.uint64)
    for position, name in enumerate(sorted(frame.columns)):
        column = frame[name]
        if name in text_columns:
            converted = pd.to_numeric(column, errors="coerce")
            column = converted if converted.isna().equals(column.isna()) else column
        if pd.api.types.is_numeric_dtype(column):
            cells[:, position] = column.to_numpy(dtype=np.float64, na_value=np.nan).view(np.uint64)
        else:
            # Each distinct text is hashed once; a missing value (code -1) is 0.
            codes, values = pd.factorize(column)
            digests = (hashlib.blake2b(value.encode(), digest_size=8).digest() for value in values)
            hashes = [int.from_bytes(digest, "big") for digest in digests]
            cells[:, position] = np.array([*hashes, 0], dtype=np.uint64)[codes]
    return [hashlib.blake2b(row, digest_size=8).hexdigest() for row in cells]


def cell_text(value: object) -> str:
    """A target's cell as text, for predictions: as the file writes it, a number read as one in its
    shortest form (an integer without ".0"), "" where it is missing."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


class Table(NamedTuple):
    """The checked rows of the data file."""

    path: Path
    # The features and the target: numeric features as float32 (NaN: missing), categorical and date ones
    # as categories of their text (as the file writes it), the target as numbers if every cell of it is
    # one, else as categories.
    frame: pd.DataFrame
    numeric_columns: list[str]
    categorical_columns: list[str]
    date_columns: dict[str, str]  # each date column's format
    numeric: np.ndarray  # float32, rows x numeric columns, as in the file
    # `<split>/<id>` with a split column, else `<id>`: the id column's value, or else a hash of the row's cells
    sample_ids: list[str]
    row_ids: list[str]  # the id column's values, else the row numbers


def table_of(
    path: Path,
    numeric: np.ndarray,
    numeric_columns: list[str],
    others: dict[str, np.ndarray | pd.Categorical],
    categorical_columns: list[str],
    date_columns: dict[str, str],
    sample_ids: list[str],
    row_ids: list[str],
) -> Table:
    """The table of the numeric features and the `others` columns (the categorical and date features and the target)."""
    frame = pd.DataFrame(numeric, columns=numeric_columns, copy=False).assign(**others)
    return Table(path, frame, numeric_columns, categorical_columns, date_columns, numeric, sample_ids, row_ids)


def parse_table(
    path: Path,
    target_column: str,
    categorical_columns: Sequence[str],
    id_column: str | None,
    split_column: str,
    drop_columns: Sequence[str] = (),
) -> Table:
    """Read and check the data file: every column but the target, the split and the id column and
    `drop_columns` is a feature: numeric if it holds numbers only, dates if it holds dates only,
    categorical if it holds anything else or is listed in `categorical_columns`."""
    names = [*categorical_columns, split_column, *([id_column] if id_column else [])]
    frame = read_csv(path, "csv_path", text_columns=names)
    require_columns(frame, path, [target_column], "Target column")
    require_columns(frame, path, categorical_columns, "Categorical column(s)")
    require_columns(frame, path, drop_columns, "Dropped column(s)")
    if id_column:
        require_columns(frame, path, [id_column], "Id column")
        require_filled(frame, [id_column], str(path))
    features = [name for name in frame.columns if name not in {target_column, split_column, id_column, *drop_columns}]
    if not features:
        raise ValueError(f"{path} has no feature columns besides the target {target_column!r}.")
    numeric = [name for name in features if name not in categorical_columns and holds_numbers(frame[name], path)]
    texts = [name for name in features if name not in numeric and name not in categorical_columns]
    dates = {name: form for name in texts if (form := date_format(frame[name], path))}
    categorical = [name for name in features if name not in numeric and name not in dates]
    others = {
        name: frame[name].to_numpy() if pd.api.types.is_numeric_dtype(frame[name]) else pd.Categorical(frame[name])
        for name in [*categorical, *dates, target_column]
    }
    if id_column:
        ids = frame[id_column].tolist()
    else:
        ids = content_ids(frame.drop(columns=split_column, errors="ignore"), categorical_columns)
    if split_column in frame.columns:
        sample_ids = [f"{split}/{name}" for split, name in zip(frame[split_column], ids, strict=True)]
    else:
        sample_ids = ids
    row_ids = frame[id_column].tolist() if id_column else [str(row) for row in frame.index]
    numbers = numbers_of(frame, numeric, str(path))
    return table_of(path, numbers, numeric, others, categorical, dates, sample_ids, row_ids)


def save_table(table: Table, folder: Path) -> None:
    """Write `table` to `folder/table.npz`: its numeric features as one array, its other columns as
    numbers or as category codes and values, its ids and date formats as text."""
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
    texts |= {"date_columns": np.array([*table.date_columns.items()], dtype=str).reshape(-1, 2)}
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
        date_columns = dict(arrays["date_columns"].tolist())
        numeric = arrays["numeric"]
    return table_of(path, numeric, numeric_columns, others, categorical_columns, date_columns, sample_ids, row_ids)


def read_table(
    path: Path,
    target_column: str,
    categorical_columns: Sequence[str],
    id_column: str | None,
    split_column: str,
    cache_dir: Path | None = None,
    drop_columns: Sequence[str] = (),
) -> Table:
    """The table of `path` (see `parse_table`), read back from `cache_dir` if this file was parsed
    with these columns before, and kept there if not. None: parse it."""
    columns = (target_column, list(categorical_columns), id_column, split_column, list(drop_columns))
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

    Every column except `target_column`, `id_column`, `split_column` and `drop_columns` is a
    feature. Numeric columns reach the model as they are, with their mean, standard deviation and
    median over the training rows: the model standardizes them, and fills a missing value in with
    the median (marked by an input of its own where the column had missing values in the training
    rows). A column of dates becomes numbers (`rows.date_parts`). The other columns, and those
    listed in `categorical_columns`, are categories, coded after the values of the training rows
    (a missing value: a category of its own; any other value: the unknown code 0). All of it is
    fitted on the training rows only and linked to the model, which keeps it in its checkpoint.

    Args:
        split: How rows are assigned to train, val and test. The predefined split reads
            `split_column` (train, val or test).
        csv_path: The data file. None: the bundled data, written to `data/` in the working
            folder on first use.
        target_column: The column to predict.
        categorical_columns: Columns of numbers or dates to treat as categories (codes, for
            instance); columns that hold text are categorical anyway.
        id_column: A column that names each row in predictions and identifies it to the split, never
            a feature. None: predictions name a row by its number in the file (0: the first row after
            the header), the split by a hash of its cells, wherever it is in the file.
        split_column: The column the predefined split reads, never a feature.
        drop_columns: Columns that are no feature (free text, leftovers).
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
        drop_columns: list[str] | None = None,
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
        self.drop_columns = list(drop_columns or [])
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
            self.drop_columns,
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
    def date_columns(self) -> dict[str, str]:
        """The date columns, in the order of the model's input (after the numeric columns), with the
        format their dates are read in."""
        return self.table.date_columns

    @cached_property
    def training_numbers(self) -> np.ndarray:
        """The numeric input of the training rows (float64, rows x `encoder.numeric_features`), NaN
        where a value is missing; a column without a value in any training row is refused."""
        encoder = RowEncoder(self.numeric_columns, {}, self.date_columns)
        rows = self.table.frame.iloc[self.split_indices.train]
        if not encoder.numeric_features:
            return np.empty((len(rows), 0))
        numbers = encoder.encode(rows, str(self.table.path))["numeric"].numpy().astype(np.float64)
        empty = np.isnan(numbers).all(axis=0)
        if empty.any():
            column = encoder.feature_columns[np.flatnonzero(empty)[0]]
            raise ValueError(
                f"Column {column!r} of {self.table.path} has no value in any training row: "
                f"drop it (--data.drop_columns '[{column}]') or fill it in."
            )
        return numbers

    @cached_property
    def numeric_mean(self) -> list[float]:
        """Each numeric input's mean over the training rows that have a value."""
        return [float(value) for value in np.nanmean(self.training_numbers, axis=0)]

    @cached_property
    def numeric_std(self) -> list[float]:
        """Each numeric input's standard deviation (population) over the training rows that have a
        value; 1 for a constant one."""
        std = np.nanstd(self.training_numbers, axis=0)
        return [float(value) if value > 0 else 1.0 for value in std]

    @cached_property
    def numeric_fill(self) -> list[float]:
        """Each numeric input's median over the training rows that have a value: what the model reads
        a missing value as."""
        return [float(value) for value in np.nanmedian(self.training_numbers, axis=0)]

    @cached_property
    def missing_indicators(self) -> list[str]:
        """The numeric and date columns that some training rows have no value in: the model marks their
        missing values with an input of its own."""
        encoder = RowEncoder(self.numeric_columns, {}, self.date_columns)
        gaps = np.isnan(self.training_numbers)
        return [column for column in encoder.columns if gaps[:, encoder.first_feature(column)].any()]

    @cached_property
    def vocabularies(self) -> dict[str, list[str]]:
        """Each categorical column, in the order of the model's input, with its values in the training
        rows, sorted (`MISSING_CATEGORY`, first, where some have none)."""
        rows = self.table.frame.iloc[self.split_indices.train]
        vocabularies = {}
        for column in self.table.categorical_columns:
            cells = rows[column]
            values = sorted(cells.dropna().unique().tolist())
            vocabularies[column] = [MISSING_CATEGORY, *values] if cells.isna().any() else values
            if len(values) > max(MANY_VALUES, DISTINCT_SHARE * len(rows)):
                rank_zero_warn(
                    f"Categorical column {column!r} of {self.table.path} has {len(values)} distinct values in "
                    f"{len(rows)} training rows: a value seen once teaches the model nothing. If it names the "
                    f"rows, make it the id column (--data.id_column {column}); if it is free text, drop it "
                    f"(--data.drop_columns '[{column}]')."
                )
        return vocabularies

    @property
    def encoder(self) -> RowEncoder:
        """How a row becomes the model's inputs: with the linked values, fitted here or the checkpoint's."""
        return RowEncoder(self.numeric_columns, self.vocabularies, self.date_columns)

    def targets(self, positions: list[int]) -> torch.Tensor:
        """The targets of the rows at `positions`, as the loss takes them."""
        raise NotImplementedError

    def no_targets(self, count: int) -> torch.Tensor:
        """Stand-ins for the targets of `count` rows to predict, which have none."""
        raise NotImplementedError

    def encode(self, frame: pd.DataFrame, path: Path) -> dict[str, torch.Tensor]:
        """The model's inputs of `frame`'s rows of `path`, with a warning for what the training rows did
        not prepare the model for: categories they did not have, missing values in columns they all filled."""
        encoder = self.encoder
        inputs = encoder.encode(frame, str(path))
        if "numeric" in inputs:
            gaps = inputs["numeric"].isnan().numpy()
            for column in [*encoder.numeric_columns, *encoder.date_columns]:
                count = int(gaps[:, encoder.first_feature(column)].sum())
                if count and column not in self.missing_indicators:
                    rank_zero_warn(
                        f"{count} rows of {path} have no value in column {column!r}, which every training row "
                        "has: the model reads them as the training rows' median."
                    )
        for position, column in enumerate(encoder.vocabularies):
            unknown = frame[column][(inputs["categories"][:, position] == UNKNOWN).numpy()]
            if len(unknown):
                values = [repr(value) for value in sorted(set(unknown.dropna()))[:5]]
                values += ["a missing value"] if unknown.isna().any() else []
                rank_zero_warn(
                    f"{len(unknown)} rows of {path} hold a value of column {column!r} that no training row had "
                    f"({', '.join(values)}): the model reads it as unknown (code {UNKNOWN})."
                )
        return inputs

    def split_dataset(self, positions: list[int], train: bool = False) -> Dataset:
        frame = self.table.frame.iloc[positions]
        return TabularRows(self.encode(frame, self.table.path), self.targets(positions))

    def prediction_dataset(self) -> tuple[Dataset, list[str]]:
        """The test split, or the rows of `predict_path`; named by their ids. Sets `predict_targets`:
        each row's target, as text ("" where it has none), where the rows have a target column."""
        if self.predict_path is None:
            positions = self.split_indices.test
            targets = self.table.frame[self.target_column].iloc[positions]
            self.predict_targets = [cell_text(value) for value in targets]
            return self.split_dataset(positions), [self.table.row_ids[i] for i in positions]
        frame = read_csv(self.predict_path, "predict_path")
        inputs = self.encode(frame, self.predict_path)
        has_ids = self.id_column in frame.columns
        names = frame[self.id_column].tolist() if has_ids else [str(row) for row in frame.index]
        has_targets = self.target_column in frame.columns
        self.predict_targets = [cell_text(value) for value in frame[self.target_column]] if has_targets else None
        return TabularRows(inputs, self.no_targets(len(frame))), names

    def on_after_batch_transfer(
        self, batch: tuple[list[torch.Tensor], torch.Tensor], dataloader_idx: int
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        inputs, targets = batch
        numeric_input = self.numeric_columns or self.date_columns
        if self.feature_noise and numeric_input and self.trainer is not None and self.trainer.training:
            numeric, *others = inputs  # the numeric input comes first
            std = torch.tensor(self.numeric_std, device=numeric.device)
            inputs = [numeric + torch.randn_like(numeric) * (self.feature_noise * std), *others]
        return inputs, targets
