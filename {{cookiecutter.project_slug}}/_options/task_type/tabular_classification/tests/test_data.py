"""The tabular data module: lazy linked values, one dataset per split, fitting on the
training rows only, the checkpoint's state, bad data named in the errors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch.utils.data import Subset

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data import LINKED_TO_MODEL, TabularClassificationDataModule
from {{ cookiecutter.package_name }}.data.bundled import write_wine_csv
from {{ cookiecutter.package_name }}.data.splitting import Split, SplitIndices
from {{ cookiecutter.package_name }}.data.tabular import UNKNOWN, TabularRows

from .tiny_data import CLASSES, COLOURS, FILE_NAME, NUMERIC_COLUMNS, tiny_rows, write_csv


class SplitColumn(Split):
    """The split of the `split` column, whatever strategy the project was rendered with."""

    def assign(self, sample_ids: Sequence[str], labels: Sequence[int]) -> SplitIndices:
        parts = [sample_id.split("/")[0] for sample_id in sample_ids]
        return SplitIndices(*([i for i, part in enumerate(parts) if part == name] for name in ("train", "val", "test")))


def make_datamodule(data_args: list[str], *extra: str) -> TabularClassificationDataModule:
    """The data module exactly as the configs build it."""
    return main([*data_args, *extra], run=False).datamodule


def tiny_datamodule(path: Path, **kwargs: object) -> TabularClassificationDataModule:
    """A data module on `path`, split by its `split` column, named by its `sample` column."""
    return TabularClassificationDataModule(SplitColumn(), csv_path=str(path), **{"id_column": "sample", **kwargs})


def test_linked_values_are_known_before_setup(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args)
    assert not hasattr(datamodule, "train_dataset")
    assert datamodule.class_names == sorted(CLASSES)
    assert datamodule.num_classes == len(CLASSES)
    assert datamodule.num_features == len(NUMERIC_COLUMNS)
    assert datamodule.table.numeric_columns == NUMERIC_COLUMNS
    assert datamodule.table.categorical_columns == ["colour"]
    assert datamodule.category_cardinalities == [len(COLOURS)]

    train_labels = [datamodule.table.labels[i] for i in datamodule.split_indices.train]
    counts = Counter(train_labels)
    expected = [len(train_labels) / (len(counts) * counts[c]) for c in range(datamodule.num_classes)]
    assert datamodule.class_weights == pytest.approx(expected)
    for name in ("class_weights", "numeric_mean", "numeric_std"):
        assert all(type(value) is float for value in getattr(datamodule, name))


def test_linked_values_reach_the_model(data_args: list[str]) -> None:
    cli = main([*data_args], run=False)
    model, datamodule = cli.model, cli.datamodule
    for name in LINKED_TO_MODEL:
        assert model.hparams[name] == getattr(datamodule, name)
    assert model.numeric_mean.tolist() == pytest.approx(datamodule.numeric_mean)
    assert model.numeric_std.tolist() == pytest.approx(datamodule.numeric_std)
    assert [embedding.num_embeddings for embedding in model.embeddings] == [len(COLOURS) + 1]
    assert model.loss.weight.tolist() == pytest.approx(datamodule.class_weights)


def test_scaler_is_fitted_on_the_training_rows_only(data_args: list[str], data_dir: Path) -> None:
    datamodule = make_datamodule(data_args)
    numbers = pd.read_csv(data_dir / FILE_NAME)[NUMERIC_COLUMNS]
    train = numbers.iloc[datamodule.split_indices.train]
    assert datamodule.numeric_mean == pytest.approx(train.mean().tolist(), rel=1e-6)
    assert datamodule.numeric_std == pytest.approx(train.std(ddof=0).tolist(), rel=1e-6)
    assert datamodule.numeric_mean != pytest.approx(numbers.mean().tolist(), rel=1e-6)
    assert datamodule.numeric_std != pytest.approx(numbers.std(ddof=0).tolist(), rel=1e-6)


def test_categories_are_fitted_on_the_training_rows_only(data_args: list[str], tmp_path: Path) -> None:
    split = make_datamodule(data_args).split_indices
    rows = tiny_rows()
    for position in split.test:
        rows[position]["colour"] = "purple"
    # Same ids and labels: the split stays the same, whatever the strategy.
    datamodule = make_datamodule(data_args, "--data.csv_path", str(write_csv(tmp_path / "purple.csv", rows)))
    assert datamodule.split_indices == split
    assert datamodule.encoder.vocabularies == [sorted(COLOURS)]
    datamodule.setup("test")
    with pytest.warns(UserWarning, match=r"'purple' of column 'colour' was not seen in training"):
        (_, codes), _ = datamodule.test_dataset[0]
    assert codes.tolist() == [UNKNOWN]


def test_setup_builds_one_plain_dataset_per_split(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args)
    datamodule.setup("fit")
    datamodule.setup("test")
    datasets = [datamodule.train_dataset, datamodule.val_dataset, datamodule.test_dataset]
    assert all(type(dataset) is TabularRows and not isinstance(dataset, Subset) for dataset in datasets)
    assert [len(dataset) for dataset in datasets] == [len(positions) for positions in datamodule.split_indices]
    row_ids = [row_id for dataset in datasets for row_id in dataset.row_ids]
    assert sorted(row_ids) == sorted(row["sample"] for row in tiny_rows())
    assert all(dataset.encoder is datamodule.encoder for dataset in datasets)

    (numeric, codes), label = datamodule.val_dataset[0]
    assert numeric.shape == (len(NUMERIC_COLUMNS),) and numeric.dtype == torch.float32
    assert codes.shape == (1,) and codes.dtype == torch.long
    assert 1 <= int(codes) <= len(COLOURS)
    assert 0 <= int(label) < datamodule.num_classes
    # Tabular rows are not augmented: every split reads the same values every time.
    (again, _), _ = datamodule.train_dataset[0]
    torch.testing.assert_close(again, datamodule.train_dataset[0][0][0])


def test_bundled_wine_is_written_once_and_used_by_default(data_args: list[str], isolated: Path) -> None:
    datamodule = make_datamodule(data_args, "--data.csv_path", "null", "--data.id_column", "null")
    assert datamodule.csv_path.is_file()
    assert datamodule.class_names == ["class_0", "class_1", "class_2"]
    assert datamodule.table.categorical_columns == ["alcohol_level"]
    assert datamodule.category_cardinalities == [3]
    assert datamodule.num_features == 12
    assert Counter(sample_id.split("/")[0] for sample_id in datamodule.table.sample_ids) == {
        "train": 124,
        "val": 27,
        "test": 27,
    }
    frame = pd.read_csv(datamodule.csv_path)
    assert len(frame) == 178
    assert set(frame["alcohol_level"]) == {"low", "mid", "high"}
    stamp = datamodule.csv_path.stat().st_mtime_ns
    write_wine_csv(datamodule.csv_path)
    assert datamodule.csv_path.stat().st_mtime_ns == stamp
    assert [path.name for path in datamodule.csv_path.parent.iterdir()] == ["wine.csv"]


def test_predict_csv_rows_are_predicted_without_labels(data_args: list[str], tmp_path: Path) -> None:
    rows = [{key: row[key] for key in ("colour", "weight", "size", "sample")} for row in tiny_rows()[:5]]
    rows[0]["colour"] = "purple"
    path = write_csv(tmp_path / "new.csv", rows)
    datamodule = make_datamodule(data_args, "--data.predict_csv", str(path))
    datamodule.setup("predict")
    assert datamodule.predict_dataset.row_ids == [row["sample"] for row in rows]
    with pytest.warns(UserWarning, match="unknown category"):
        (numeric, codes), label = datamodule.predict_dataset[0]
    assert numeric.tolist() == pytest.approx([rows[0]["size"], rows[0]["weight"]])
    assert codes.tolist() == [UNKNOWN]
    assert int(label) == -1


def test_class_names_are_sorted_strings_or_numbers(tmp_path: Path) -> None:
    rows = tiny_rows()
    numbers = {"bird": 10, "cat": 2, "dog": 3}
    for row in rows:
        row["target"] = numbers[row["target"]]
    datamodule = tiny_datamodule(write_csv(tmp_path / "numbers.csv", rows))
    assert datamodule.class_names == ["2", "3", "10"]
    assert datamodule.table.labels[0] == datamodule.class_names.index("10")


def test_checkpoint_state_sets_the_vocabularies_and_refuses_other_classes(tmp_path: Path) -> None:
    datamodule = tiny_datamodule(write_csv(tmp_path / "tiny.csv", tiny_rows()))
    datamodule.setup("fit")
    state = datamodule.state_dict()
    assert state["category_vocabularies"] == [sorted(COLOURS)]
    state["category_vocabularies"] = [["red"]]
    datamodule.load_state_dict(state)
    row = next(i for i, row in enumerate(tiny_rows()) if row["split"] == "train" and row["colour"] == "red")
    assert datamodule.train_dataset[datamodule.split_indices.train.index(row)][0][1].tolist() == [1]
    with pytest.raises(ValueError, match=r"trained with class_names \['ant', 'bee'\]"):
        datamodule.load_state_dict({**state, "class_names": ["ant", "bee"]})


def set_cell(rows: list[dict], row: int, column: str, value: object) -> list[dict]:
    rows[row][column] = value
    return rows


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        (
            tiny_rows(),
            {"target_column": "label"},
            r"Target column 'label' not in .*bad\.csv; its columns are: sample, size, colour, weight, target, split",
        ),
        (set_cell(tiny_rows(), 5, "weight", ""), {}, r"bad\.csv: row 5 \(line 7\) has no value in column 'weight'"),
        (
            set_cell(tiny_rows(), 7, "size", "big"),
            {},
            r"Column 'size' of .*bad\.csv holds numbers but 'big' at row 7 \(line 9\)",
        ),
        (
            set_cell(tiny_rows(), len(tiny_rows()) - 1, "target", "fish"),
            {},
            r"Label 'fish' of .*bad\.csv is in the test split but in no training row",
        ),
        (set_cell(tiny_rows(), 3, "target", ""), {}, r"row 3 \(line 5\) has no label in target column 'target'"),
        (
            [{**row, "target": 0.5 * i} for i, row in enumerate(tiny_rows())],
            {},
            r"Target column 'target' of .*bad\.csv holds 0\.5 at row 1 \(line 3\)",
        ),
        ([{**row, "target": "cat"} for row in tiny_rows()], {}, r"one class only \(cat\)"),
        (tiny_rows(), {"categorical_columns": ["shade"]}, r"Categorical column\(s\) 'shade' not in .*bad\.csv"),
        (tiny_rows(), {"id_column": "name"}, r"Id column 'name' not in"),
    ],
    ids=[
        "missing-target",
        "empty-feature",
        "text-in-numbers",
        "unseen-label",
        "empty-label",
        "fractional-target",
        "one-class",
        "missing-categorical",
        "missing-id",
    ],
)
def test_bad_data_is_named_in_the_error(tmp_path: Path, rows: list[dict], kwargs: dict, message: str) -> None:
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ValueError, match=message):
        _ = tiny_datamodule(path, **kwargs).class_weights


def test_a_column_of_ids_among_the_categories_is_reported(tmp_path: Path) -> None:
    datamodule = tiny_datamodule(write_csv(tmp_path / "tiny.csv", tiny_rows()), id_column=None)
    with pytest.warns(UserWarning, match=r"'sample' has a different value in each of the 30 training rows"):
        assert datamodule.category_cardinalities == [30, len(COLOURS)]


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere\.csv does not exist"):
        _ = tiny_datamodule(tmp_path / "nowhere.csv").num_classes


def test_predict_csv_without_a_feature_column_is_named(tmp_path: Path) -> None:
    rows = tiny_rows()
    datamodule = tiny_datamodule(write_csv(tmp_path / "tiny.csv", rows))
    datamodule.predict_csv = write_csv(tmp_path / "new.csv", [{"sample": row["sample"], "size": 1.0} for row in rows])
    with pytest.raises(ValueError, match=r"Column\(s\) 'weight', 'colour' not in .*new\.csv"):
        datamodule.setup("predict")
