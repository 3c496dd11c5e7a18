"""What both tabular tasks share: the feature columns and their encoding, fitted on the training rows
and kept by the checkpoint; one encoding for the rows of a file and a row given by value; missing
values, dates and row ids as users' data have them; bad cells, columns and requests named in the errors."""

from __future__ import annotations

import csv
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.data import tabular
from {{ cookiecutter.package_name }}.data.rows import MISSING_CATEGORY, UNKNOWN
from {{ cookiecutter.package_name }}.data.tabular import TabularDataModule, read_table
from {{ cookiecutter.package_name }}.models.tabular import TabularModel
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import TrainedRun
from .tiny_data import (
    CATEGORICAL_COLUMN,
    GAP_COLUMN,
    NUMERIC_COLUMN,
    TARGET,
    rows_to_predict,
    same_prediction,
    tiny_frame,
)
from .tiny_table import FILE_NAME, ID_COLUMN


def make_datamodule(data_args: list[str], *extra: str) -> TabularDataModule:
    """The data module exactly as the configs build it."""
    return main([*data_args, *extra], run=False).datamodule


def write_csv(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def test_the_feature_encoding_is_fitted_on_the_training_rows_only(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args)
    assert not hasattr(datamodule, "train_dataset")
    frame = tiny_frame()
    features = [column for column in frame.columns if column not in (ID_COLUMN, TARGET, "split")]
    assert datamodule.numeric_columns == [column for column in features if column != CATEGORICAL_COLUMN]
    train = frame.iloc[datamodule.split_indices.train]
    numbers = train[datamodule.numeric_columns]
    assert datamodule.numeric_mean == pytest.approx(numbers.mean().tolist(), rel=1e-5)
    assert datamodule.numeric_std == pytest.approx(numbers.std(ddof=0).tolist(), rel=1e-5)
    assert datamodule.numeric_fill == pytest.approx(numbers.median().tolist(), rel=1e-5)
    assert datamodule.numeric_mean != pytest.approx(frame[datamodule.numeric_columns].mean().tolist(), rel=1e-5)
    assert all(type(value) is float for value in datamodule.numeric_mean + datamodule.numeric_std)
    # Missing values are left out of the fit, and marked where the training rows have some.
    assert train[GAP_COLUMN].isna().any() and datamodule.missing_indicators == [GAP_COLUMN]
    assert datamodule.vocabularies == {CATEGORICAL_COLUMN: sorted(set(train[CATEGORICAL_COLUMN]))}


def test_a_row_of_the_file_and_the_same_row_given_by_value_are_one_input(trained_run: TrainedRun) -> None:
    datamodule, model = trained_run.cli.datamodule, trained_run.cli.model
    datamodule.setup("fit")
    datamodule.setup("test")
    datasets = [datamodule.train_dataset, datamodule.val_dataset, datamodule.test_dataset]
    assert [len(dataset) for dataset in datasets] == [len(positions) for positions in datamodule.split_indices]
    inputs, _ = datamodule.val_dataset[0]
    # The row as the bundled data's frame holds it: numbers, text, and columns the model does not read.
    given = model.read_input(tiny_frame().iloc[datamodule.split_indices.val[0]].to_dict())
    assert model.input_names == ("numeric", "categories")
    for name, values in zip(model.input_names, inputs, strict=True):
        torch.testing.assert_close(given[name], values, rtol=0, atol=0, equal_nan=True)
    assert given["numeric"].dtype == torch.float32 and given["numeric"].shape == (len(datamodule.numeric_columns),)
    assert given["categories"].dtype == torch.int64 and given["categories"].shape == (1,)
    assert given["categories"].item() != UNKNOWN


def test_a_category_no_training_row_has_is_read_as_unknown(data_args: list[str], tmp_path: Path) -> None:
    split = make_datamodule(data_args).split_indices
    frame = tiny_frame()
    frame.iloc[split.test, frame.columns.get_loc(CATEGORICAL_COLUMN)] = "purple"
    # The same ids and targets: the same split, whatever the strategy.
    datamodule = make_datamodule(data_args, "--data.csv_path", write_csv(tmp_path / FILE_NAME, frame))
    assert datamodule.split_indices == split
    assert "purple" not in datamodule.vocabularies[CATEGORICAL_COLUMN]
    message = rf"{len(split.test)} rows of .*{FILE_NAME} hold a value of column '{CATEGORICAL_COLUMN}' .* \('purple'\)"
    with pytest.warns(UserWarning, match=message):
        datamodule.setup("test")
    assert all(inputs[1].tolist() == [UNKNOWN] for inputs, _ in datamodule.test_dataset)


def test_predict_path_rows_need_the_feature_columns_only(data_args: list[str], tmp_path: Path) -> None:
    rows = rows_to_predict()
    datamodule = make_datamodule(data_args, "--data.predict_path", write_csv(tmp_path / "new.csv", rows))
    with pytest.warns(UserWarning, match="no training row had"):
        datamodule.setup("predict")
    assert datamodule.predict_names == rows[ID_COLUMN].tolist()
    assert len(datamodule.predict_dataset) == len(rows)

    datamodule.predict_path = tmp_path / "no_ids.csv"
    write_csv(datamodule.predict_path, rows.drop(columns=[ID_COLUMN]))
    with pytest.warns(UserWarning, match="no training row had"):
        datamodule.setup("predict")
    assert datamodule.predict_names == ["0", "1", "2"]

    write_csv(datamodule.predict_path, rows.drop(columns=[NUMERIC_COLUMN]))
    with pytest.raises(ValueError, match=rf"no_ids\.csv has no column '{NUMERIC_COLUMN}': the model reads "):
        datamodule.setup("predict")


def test_a_checkpoint_reads_rows_as_it_was_trained_whatever_the_data_would_fit(
    trained_run: TrainedRun, data_args: list[str], data_dir: Path, tmp_path: Path
) -> None:
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    frame = tiny_frame()
    answers = dict(zip(frame[ID_COLUMN], load_model(checkpoint).predict(frame.to_dict("records")), strict=True))

    # Other values in the training rows: a shifted column, and a new category that renumbers the others.
    train = trained_run.cli.datamodule.split_indices.train
    numeric = frame.columns.get_loc(NUMERIC_COLUMN)
    frame.iloc[train, numeric] = frame.iloc[train, numeric] * 3 + 50
    frame.iloc[train[0], frame.columns.get_loc(CATEGORICAL_COLUMN)] = "amber"
    refit = [*data_args, "--data.csv_path", write_csv(tmp_path / FILE_NAME, frame)]
    refitted = make_datamodule(refit)
    assert refitted.numeric_mean != pytest.approx(trained_run.cli.datamodule.numeric_mean)
    assert refitted.vocabularies != trained_run.cli.datamodule.vocabularies

    # The test split (rows unchanged), and every row of the first file, as the checkpoint reads them.
    for predict_path in ([], ["--data.predict_path", str(data_dir / FILE_NAME)]):
        cli = main(
            ["predict", *refit, *predict_path, "--ckpt_path", checkpoint, "--trainer.enable_progress_bar", "false"]
        )
        with (run_dir(cli.trainer) / "predictions.csv").open() as file:
            for row in csv.DictReader(file):
                same_prediction(row, answers[row["row_id"]])


def test_the_table_is_parsed_once_and_again_when_the_file_or_its_columns_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = Path(write_csv(tmp_path / FILE_NAME, tiny_frame()))
    cache = tmp_path / "cache"
    parse, parsed = tabular.parse_table, []
    monkeypatch.setattr(tabular, "parse_table", lambda *columns: parsed.append(columns) or parse(*columns))

    def read(categorical_columns: list[str]) -> tabular.Table:
        return read_table(path, TARGET, categorical_columns, ID_COLUMN, "split", cache)

    built, again = read([]), read([])
    assert len(parsed) == 1
    [entry] = cache.iterdir()
    for table in (again, parse(path, TARGET, [], ID_COLUMN, "split")):
        pd.testing.assert_frame_equal(table.frame, built.frame)
        np.testing.assert_array_equal(table.numeric, built.numeric)
        for field in ("numeric_columns", "categorical_columns", "date_columns", "sample_ids", "row_ids"):
            assert getattr(table, field) == getattr(built, field)

    assert NUMERIC_COLUMN in read([NUMERIC_COLUMN]).categorical_columns
    assert len(parsed) == 2
    frame = tiny_frame()
    frame.loc[frame.index[0], NUMERIC_COLUMN] += 1
    stamp = path.stat().st_mtime_ns
    write_csv(path, frame)
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))  # a new time, whatever the clock's resolution
    assert read([]).numeric[0].tolist() != built.numeric[0].tolist()
    assert len(parsed) == 3
    # The entries of the file as it was, or of other columns, are deleted.
    [newest] = cache.iterdir()
    assert newest.name != entry.name


def test_cached_and_uncached_tables_give_the_same_batches(data_args: list[str], tmp_path: Path) -> None:
    cache = ["--data.cache_dir", str(tmp_path / "cache")]
    datamodules = [make_datamodule(data_args, *cache), make_datamodule(data_args, *cache)]
    datamodules.append(make_datamodule(data_args, "--data.cache_dir", "null"))
    for datamodule in datamodules:
        datamodule.setup("fit")
    first, *others = (datamodule.train_dataset for datamodule in datamodules)
    for dataset in others:
        for values, expected in zip([*dataset.inputs, dataset.targets], [*first.inputs, first.targets], strict=True):
            torch.testing.assert_close(values, expected, rtol=0, atol=0, equal_nan=True)
    # A batch read at once holds the rows read one by one.
    inputs, targets = first.__getitems__([2, 0])
    for position, index in enumerate([2, 0]):
        row_inputs, row_target = first[index]
        for values, expected in zip(inputs, row_inputs, strict=True):
            torch.testing.assert_close(values[position], expected, rtol=0, atol=0, equal_nan=True)
        torch.testing.assert_close(targets[position], row_target, rtol=0, atol=0)


def set_cell(row: int, column: str, value: object) -> pd.DataFrame:
    frame = tiny_frame().astype(object)
    frame.iloc[row, frame.columns.get_loc(column)] = value
    return frame


@pytest.mark.parametrize(
    ("frame", "arguments", "message"),
    [
        (tiny_frame(), {"target_column": "label"}, r"Target column 'label' not in .*bad\.csv; its columns are: "),
        (set_cell(5, ID_COLUMN, "NA"), {}, rf"bad\.csv: row 5 \(line 7\) has no value in column '{ID_COLUMN}'"),
        (
            set_cell(7, NUMERIC_COLUMN, "big"),
            {},
            rf"bad\.csv: row 7 \(line 9\) holds 'big' in column '{NUMERIC_COLUMN}', whose other cells are numbers",
        ),
        (tiny_frame(), {"categorical_columns": ["shade"]}, r"Categorical column\(s\) 'shade' not in .*bad\.csv"),
        (tiny_frame(), {"id_column": "name"}, r"Id column 'name' not in .*bad\.csv"),
        (tiny_frame().iloc[:0], {}, r"csv_path .*bad\.csv holds no rows"),
    ],
    ids=["missing-target", "missing-id-value", "text-among-numbers", "missing-categorical", "missing-id", "no-rows"],
)
def test_bad_data_is_named_in_the_error(
    tmp_path: Path, frame: pd.DataFrame, arguments: dict[str, Any], message: str
) -> None:
    columns = {"target_column": TARGET, "categorical_columns": [], "id_column": ID_COLUMN, **arguments}
    with pytest.raises(ValueError, match=message):
        read_table(Path(write_csv(tmp_path / "bad.csv", frame)), split_column="split", **columns)


def test_bad_data_stops_the_run_before_training(data_args: list[str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", set_cell(7, NUMERIC_COLUMN, "big"))
    with pytest.raises(ValueError, match=r"row 7 \(line 9\)"):
        main(["fit", *data_args, "--data.csv_path", path])
    with pytest.raises(FileNotFoundError, match=r"csv_path .*nowhere\.csv does not exist"):
        read_table(tmp_path / "nowhere.csv", TARGET, [], None, "split")


def test_listed_numbers_are_categories_as_written(tmp_path: Path) -> None:
    frame = tiny_frame()
    frame["zip"] = (["01", "02", "10"] * len(frame))[: len(frame)]
    path = Path(write_csv(tmp_path / "zip.csv", frame))
    table = read_table(path, TARGET, ["zip", NUMERIC_COLUMN], ID_COLUMN, "split")
    assert NUMERIC_COLUMN not in table.numeric_columns
    assert table.categorical_columns == [CATEGORICAL_COLUMN, NUMERIC_COLUMN, "zip"]
    assert sorted(set(table.frame["zip"])) == ["01", "02", "10"]


def good_row() -> dict[str, Any]:
    """A row to predict with every value known."""
    return rows_to_predict().drop(columns=[ID_COLUMN]).to_dict("records")[2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({NUMERIC_COLUMN: "12.5"}, rf"Column '{NUMERIC_COLUMN}' is numeric: it takes a number, not '12\.5' \(str\)"),
        ({NUMERIC_COLUMN: True}, r"takes a number, not True \(bool\)"),
        ({NUMERIC_COLUMN: float("inf")}, rf"The row holds inf in numeric column '{NUMERIC_COLUMN}', not a finite"),
        ({CATEGORICAL_COLUMN: ["a"]}, rf"Column '{CATEGORICAL_COLUMN}' is categorical: it takes its value as text"),
        ({CATEGORICAL_COLUMN: 2.5}, r"as text, as in the data, not 2\.5 \(float\)"),
    ],
    ids=["text-number", "bool", "inf", "list-category", "float-category"],
)
def test_a_bad_value_in_a_row_is_named(trained_run: TrainedRun, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        trained_run.cli.model.read_input({**good_row(), **change})


def test_a_row_needs_every_feature_column_and_nothing_else(trained_run: TrainedRun) -> None:
    model = trained_run.cli.model
    row = good_row()
    with pytest.raises(ValueError, match=rf"The row has no column '{NUMERIC_COLUMN}': the model reads "):
        model.read_input({column: value for column, value in row.items() if column != NUMERIC_COLUMN})
    with pytest.raises(ValueError, match=r"A row is a mapping of column names to values, not \[1, 2\] \(list\)"):
        model.read_input([1, 2])
    extra = model.read_input({**row, "comment": "not a feature", TARGET: "ignored"})
    for name, values in model.read_input(row).items():
        torch.testing.assert_close(extra[name], values)
    # Unseen categories read as unknown; integer codes read as their text.
    assert model.read_input({**row, CATEGORICAL_COLUMN: "never seen"})["categories"].tolist() == [UNKNOWN]
    assert model.read_input({**row, CATEGORICAL_COLUMN: 7})["categories"].tolist() == [UNKNOWN]
    assert model.parse_request({"row": row}) == row
    with pytest.raises(ValueError, match=rf'The request needs "row": .*{NUMERIC_COLUMN}'):
        model.parse_request({"rows": [row]})


def model_of(trained_run: TrainedRun, **changes: Any) -> TabularModel:
    """A new model of the trained one's class and hyperparameters, with `changes`."""
    trained = trained_run.cli.model
    hyperparameters = {name: value for name, value in trained.hparams.items() if not name.startswith("_")}
    return type(trained)(**{**hyperparameters, **changes}).eval()


def test_numeric_columns_are_standardized_inside_the_model(trained_run: TrainedRun) -> None:
    datamodule = trained_run.cli.datamodule
    scaled = model_of(trained_run)
    count = len(datamodule.numeric_columns)
    plain = model_of(trained_run, numeric_mean=[0.0] * count, numeric_std=[1.0] * count)
    plain.load_state_dict(scaled.state_dict())
    assert "numeric_mean" not in scaled.state_dict()  # the hyperparameters hold it
    numeric, categories = scaled.example_inputs(batch_size=4)
    standardized = (numeric - torch.tensor(datamodule.numeric_mean)) / torch.tensor(datamodule.numeric_std)
    torch.testing.assert_close(scaled((numeric, categories)), plain((standardized, categories)))
    with pytest.raises(ValueError, match=r"numeric_mean \(1 values\), numeric_std \(1 values\) and numeric_fill"):
        model_of(trained_run, numeric_mean=[0.0], numeric_std=[1.0])


@pytest.mark.parametrize("kept", ["numeric", "categories"])
def test_a_model_without_numeric_or_categorical_columns_leaves_that_input_out(
    trained_run: TrainedRun, kept: str
) -> None:
    if kept == "numeric":
        model = model_of(trained_run, vocabularies={})
    else:
        numeric = {"numeric_columns": [], "numeric_mean": [], "numeric_std": [], "numeric_fill": []}
        model = model_of(trained_run, **numeric, missing_indicators=[])
    assert model.input_names == (kept,)
    assert [spec["name"] for spec in model.export_info()["inputs"]] == [kept]
    assert list(model.read_input(good_row())) == [kept]
    assert len(model.infer(*model.example_inputs(batch_size=3))) == 3
    assert len(model.predict([good_row()])) == 1


def with_cells(frame: pd.DataFrame, column: str, cells: dict[int, object]) -> pd.DataFrame:
    """`frame` with `cells` ({row position: value}) in `column`, written as users' files write them."""
    frame = frame.astype({column: object})
    for row, value in cells.items():
        frame.iloc[row, frame.columns.get_loc(column)] = value
    return frame


# Missing values as users' files spell them; pandas writes None as an empty cell.
SPELLINGS = ["NA", "N/A", "null", "?", None, "nan", "None", "n/a", "NULL"]


def test_missing_values_keep_a_numeric_column_numeric_filled_in_and_marked(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    gaps = dict(zip(range(1, len(tiny_frame()), 7), SPELLINGS, strict=False))  # a sixth of the rows
    frame = with_cells(tiny_frame(), NUMERIC_COLUMN, gaps)
    frame = with_cells(frame, CATEGORICAL_COLUMN, {row: "NA" for row in range(0, len(frame), 5)})
    cli = main([*data_args, "--data.csv_path", write_csv(tmp_path / FILE_NAME, frame)], run=False)
    datamodule, model = cli.datamodule, cli.model
    assert NUMERIC_COLUMN in datamodule.numeric_columns and NUMERIC_COLUMN not in datamodule.vocabularies

    numbers = tiny_frame()[datamodule.numeric_columns]
    numbers.iloc[list(gaps), numbers.columns.get_loc(NUMERIC_COLUMN)] = np.nan
    train = numbers.iloc[datamodule.split_indices.train]
    assert datamodule.numeric_fill == pytest.approx(train.median().tolist(), rel=1e-5)
    assert datamodule.numeric_mean == pytest.approx(train.mean().tolist(), rel=1e-5)
    assert train[NUMERIC_COLUMN].isna().any()
    assert datamodule.missing_indicators == [column for column in numbers if train[column].isna().any()]
    assert datamodule.vocabularies[CATEGORICAL_COLUMN][0] == MISSING_CATEGORY

    datamodule.setup("fit")
    numeric, categories = datamodule.train_dataset.inputs
    np.testing.assert_array_equal(numeric.isnan().numpy(), train.isna().to_numpy())
    missing = frame[CATEGORICAL_COLUMN].iloc[datamodule.split_indices.train].eq("NA").to_numpy()
    assert (categories[:, 0].numpy() == 1).tolist() == missing.tolist()  # the missing category's code
    model.eval()
    assert torch.isfinite(model((numeric, categories))).all()
    # A missing value reads as the training median, marked as missing where the column had missing values.
    filled = torch.where(numeric.isnan(), torch.tensor(datamodule.numeric_fill), numeric)
    hyperparameters = {name: value for name, value in model.hparams.items() if not name.startswith("_")}
    unmarked = model_of(trained_run, **{**hyperparameters, "missing_indicators": []})
    torch.testing.assert_close(unmarked((numeric, categories)), unmarked((filled, categories)))
    assert not torch.allclose(model((numeric, categories)), model((filled, categories)))


@pytest.mark.parametrize("column", [GAP_COLUMN, NUMERIC_COLUMN, CATEGORICAL_COLUMN])
def test_a_missing_value_reads_alike_in_a_file_the_api_and_a_request(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path, column: str
) -> None:
    """In a column with missing values in training, one without, and a categorical one."""
    model = trained_run.cli.model
    row = good_row()
    given = [model.read_input({**row, column: value}) for value in [*SPELLINGS, float("nan"), ""]]
    request = json.loads(json.dumps({"row": {**row, column: None}}))  # null, as `serve` receives it
    given.append(model.read_input(model.parse_request(request)))
    rows = pd.DataFrame([{**row, column: value} for value in SPELLINGS])
    datamodule = make_datamodule(data_args, "--data.predict_path", write_csv(tmp_path / "new.csv", rows))
    # Where the training rows had no missing value, the model was not trained for one: a warning says so.
    unprepared = {
        NUMERIC_COLUMN: rf"have no value in column '{NUMERIC_COLUMN}', which every training row has",
        CATEGORICAL_COLUMN: rf"column '{CATEGORICAL_COLUMN}' that no training row had \(a missing value\)",
    }
    with pytest.warns(UserWarning, match=unprepared[column]) if column in unprepared else warnings.catch_warnings():
        datamodule.setup("predict")
    inputs, _ = datamodule.predict_dataset.__getitems__(list(range(len(rows))))
    filed = [dict(zip(model.input_names, [values[i] for values in inputs], strict=True)) for i in range(len(rows))]
    for inputs in [*given, *filed]:
        for name, values in inputs.items():
            torch.testing.assert_close(values, given[0][name], rtol=0, atol=0, equal_nan=True)
    if column == CATEGORICAL_COLUMN:
        assert given[0]["categories"].tolist() == [UNKNOWN]  # the training rows have no missing value there
    else:
        assert given[0]["numeric"].isnan().sum() == 1
    json.dumps(model.predict([{**row, column: None}]), allow_nan=False)  # finite numbers only


def dated(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with three columns of dates, one a day apart row by row from 5 March 2024: `visit`, ISO
    dates (one missing); `stamp`, ISO dates with a time but for a few; `born`, day-first dates."""
    days = pd.date_range("2024-03-05", periods=len(frame), freq="D")
    frame["visit"] = days.strftime("%Y-%m-%d").where(np.arange(len(frame)) != 4, "NA")
    stamps = (days + pd.Timedelta(hours=14, minutes=30)).strftime("%Y-%m-%d %H:%M")
    frame["stamp"] = stamps.where(np.arange(len(frame)) % 10 != 3, days.strftime("%Y-%m-%d"))
    frame["born"] = (days - pd.DateOffset(years=40)).strftime("%d/%m/%Y")
    return frame


def test_dates_become_numbers_in_training_and_in_a_row_given_by_value(data_args: list[str], tmp_path: Path) -> None:
    frame = dated(tiny_frame())
    cli = main([*data_args, "--data.csv_path", write_csv(tmp_path / FILE_NAME, frame)], run=False)
    datamodule, model = cli.datamodule, cli.model
    assert datamodule.date_columns == {"visit": "%Y-%m-%d", "stamp": "ISO8601", "born": "%d/%m/%Y"}
    assert not {"visit", "stamp", "born"} & {*datamodule.numeric_columns, *datamodule.vocabularies}
    parts = ["year", "month", "weekday", "day_of_year"]
    assert model.encoder.numeric_features[-13:] == [
        *(f"visit.{part}" for part in parts),
        *(f"stamp.{part}" for part in [*parts, "time_of_day"]),
        *(f"born.{part}" for part in parts),
    ]
    assert datamodule.missing_indicators[-1:] == ["visit"] or 4 not in datamodule.split_indices.train

    datamodule.setup("fit")
    datamodule.setup("test")
    for dataset, positions in (
        (datamodule.train_dataset, datamodule.split_indices.train),
        (datamodule.test_dataset, datamodule.split_indices.test),
    ):
        for index, row in enumerate(positions):
            numbers = dataset[index][0][0][-13:].tolist()
            day = pd.Timestamp("2024-03-05") + pd.Timedelta(days=row)
            visit = [day.year, day.month, day.weekday(), day.day_of_year]
            time = [0.0 if row % 10 == 3 else 14.5]
            born = day - pd.DateOffset(years=40)
            expected = [*visit, *visit, *time, born.year, born.month, born.weekday(), born.day_of_year]
            if row == 4:
                assert np.isnan(numbers[:4]).all()
                numbers, expected = numbers[4:], expected[4:]
            assert numbers == pytest.approx(expected, abs=1e-3)
            given = model.read_input(frame.drop(columns=[ID_COLUMN, TARGET]).iloc[row].to_dict())
            torch.testing.assert_close(given["numeric"], dataset[index][0][0], equal_nan=True)

    with pytest.raises(ValueError, match=r"The row holds 'next week' in date column 'visit', not a date in the format"):
        model.read_input({**frame.iloc[0].to_dict(), "visit": "next week"})
    with pytest.raises(ValueError, match=r"Column 'visit' holds dates: it takes its value as text"):
        model.read_input({**frame.iloc[0].to_dict(), "visit": 20240305})


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (
            lambda rows: [f"{row % 12 + 1:02d}/03/2024" for row in rows],
            r"Column 'visit' of .*bad\.csv holds dates that read both day first and month first \(such as '01/03/20",
        ),
        (
            lambda rows: [f"2024-02-{row % 29 + 1:02d}" if row != 9 else "2024-02-30" for row in rows],
            r"bad\.csv: row 9 \(line 11\) holds '2024-02-30' in column 'visit', whose other cells are dates",
        ),
    ],
    ids=["day-or-month-first", "a-bad-date"],
)
def test_dates_that_do_not_read_as_one_format_are_named(tmp_path: Path, dates: Any, message: str) -> None:
    frame = tiny_frame()
    frame["visit"] = dates(range(len(frame)))
    with pytest.raises(ValueError, match=message):
        read_table(Path(write_csv(tmp_path / "bad.csv", frame)), TARGET, [], ID_COLUMN, "split")
    assert "visit" in read_table(tmp_path / "bad.csv", TARGET, ["visit"], ID_COLUMN, "split").categorical_columns


def test_a_column_of_nearly_one_value_per_row_is_named_with_the_options_that_drop_it(
    data_args: list[str], tmp_path: Path
) -> None:
    frame = tiny_frame()
    # Free text: a note of its own in each row, but for a few that say the same.
    frame["note"] = [f"called back about order {row if row % 10 else 0}" for row in range(len(frame))]
    csv_path = ["--data.csv_path", write_csv(tmp_path / FILE_NAME, frame)]
    message = r"'note' .* has \d+ distinct values in \d+ training rows.*--data.id_column note.*drop_columns '\[note\]'"
    with pytest.warns(UserWarning, match=message):
        assert "note" in make_datamodule(data_args, *csv_path).vocabularies

    with warnings.catch_warnings(record=True) as caught:
        datamodule = make_datamodule(data_args, *csv_path, "--data.drop_columns", "[note]")
    assert not [warning for warning in caught if "'note'" in str(warning.message)]
    assert "note" not in datamodule.encoder.columns


def test_a_row_is_identified_by_its_cells_wherever_it_is_in_the_file(data_args: list[str], tmp_path: Path) -> None:
    # With an id column, by its value.
    frame = tiny_frame()
    expected = [f"{split}/{name}" for split, name in zip(frame["split"], frame[ID_COLUMN], strict=True)]
    assert make_datamodule(data_args).sample_ids == expected

    frame = frame.drop(columns=[ID_COLUMN])
    no_ids = ["--data.id_column", "null"]
    first = make_datamodule(data_args, *no_ids, "--data.csv_path", write_csv(tmp_path / "first.csv", frame))
    ids = dict(zip(frame.index, first.sample_ids, strict=True))
    assert len(set(ids.values())) == len(frame)
    # A new row at the top, a row deleted, the others shuffled, the columns reordered, and a row twice.
    new = frame.iloc[[5]].assign(**{NUMERIC_COLUMN: 1234.5}).set_axis([-1])
    moved = pd.concat([new, frame.drop(index=frame.index[7]).sample(frac=1, random_state=0), frame.iloc[[3]]])
    moved = moved[list(reversed(moved.columns))]
    again = make_datamodule(data_args, *no_ids, "--data.csv_path", write_csv(tmp_path / "moved.csv", moved))
    assert again.sample_ids[1:] == [ids[row] for row in moved.index[1:]]
    assert again.sample_ids[0] not in ids.values()
    assert again.sample_ids[-1] == ids[frame.index[3]]
    # The same id twice: every row is still in one split, and listed in splits.csv.
    assert sorted(position for positions in again.split_indices for position in positions) == list(range(len(moved)))
    assert len(again.split_membership()) == len(moved)
