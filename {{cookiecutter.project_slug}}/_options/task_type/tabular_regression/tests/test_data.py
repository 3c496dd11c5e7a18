"""The tabular data module: reading the CSV, statistics of the training rows, per-split datasets, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import Subset

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data import TabularRegressionDataModule
from {{ cookiecutter.package_name }}.data.bundled import write_diabetes
from {{ cookiecutter.package_name }}.data.tabular import UNKNOWN, read_table

from .tiny_data import COLOURS, FILE_NAME, NUM_ROWS, TARGET, tiny_frame


def make_datamodule(data_args: list[str], *extra: str) -> TabularRegressionDataModule:
    """The data module exactly as the configs build it."""
    return main([*data_args, *extra], run=False).datamodule


def training_rows(datamodule: TabularRegressionDataModule) -> pd.DataFrame:
    return tiny_frame().iloc[datamodule.split_indices.train]


def test_linked_values_are_known_before_setup(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args)
    assert not hasattr(datamodule, "train_dataset")
    assert datamodule.table.numeric_columns == ["x1", "x2"]
    assert datamodule.table.categorical_columns == ["colour"]
    assert datamodule.num_features == 2
    assert datamodule.num_targets == 1
    # Every colour has training rows; index 0 is kept for unknown colours.
    assert datamodule.category_sizes == [len(COLOURS) + 1]
    assert datamodule.encoder.vocabularies == {"colour": sorted(COLOURS)}
    for name in ("feature_mean", "feature_std", "category_sizes"):
        values = getattr(datamodule, name)
        assert isinstance(values, list) and all(isinstance(value, (int, float)) for value in values)
    assert isinstance(datamodule.target_mean, float) and isinstance(datamodule.target_std, float)


def test_scaler_is_fitted_on_the_training_rows_only(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args)
    train, everything = training_rows(datamodule), tiny_frame()
    assert len(train) < len(everything)
    for statistic in ("mean", "std"):
        fitted = getattr(datamodule, f"feature_{statistic}")
        expected = getattr(train[["x1", "x2"]], statistic)(ddof=0) if statistic == "std" else train[["x1", "x2"]].mean()
        assert fitted == pytest.approx(expected.tolist(), rel=1e-5)
        whole = everything[["x1", "x2"]].std(ddof=0) if statistic == "std" else everything[["x1", "x2"]].mean()
        assert fitted != pytest.approx(whole.tolist(), rel=1e-5)
    assert datamodule.target_mean == pytest.approx(train[TARGET].mean(), rel=1e-5)
    assert datamodule.target_mean != pytest.approx(everything[TARGET].mean(), rel=1e-5)
    assert datamodule.target_std == pytest.approx(train[TARGET].std(ddof=0), rel=1e-5)


def test_linked_values_reach_the_model(data_args: list[str]) -> None:
    cli = main([*data_args], run=False)
    model, datamodule = cli.model, cli.datamodule
    assert model.hparams.num_features == datamodule.num_features
    assert model.feature_mean.tolist() == pytest.approx(datamodule.feature_mean)
    assert model.feature_std.tolist() == pytest.approx(datamodule.feature_std)
    assert model.target_mean.item() == pytest.approx(datamodule.target_mean)
    assert model.target_std.item() == pytest.approx(datamodule.target_std)
    assert [embedding.num_embeddings for embedding in model.embeddings] == datamodule.category_sizes


def test_setup_builds_one_plain_dataset_per_split_with_its_own_transform(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args, "--data.feature_noise", "0.5")
    datamodule.setup("fit")
    datamodule.setup("test")
    datasets = [datamodule.train_dataset, datamodule.val_dataset, datamodule.test_dataset]
    assert not any(isinstance(dataset, Subset) for dataset in datasets)
    assert sum(len(dataset) for dataset in datasets) == NUM_ROWS
    assert datamodule.train_dataset.transform is not None
    assert datamodule.val_dataset.transform is None and datamodule.test_dataset.transform is None
    (numeric, categories), target = datamodule.val_dataset[0]
    assert numeric.shape == (2,) and numeric.dtype == torch.float32
    assert categories.shape == (1,) and categories.dtype == torch.long and categories.item() != UNKNOWN
    assert target.dtype == torch.float32
    # Evaluation is deterministic, training is augmented.
    torch.testing.assert_close(datamodule.val_dataset[0][0][0], numeric)
    assert not torch.equal(datamodule.train_dataset[0][0][0], datamodule.train_dataset[0][0][0])
    batch = next(iter(datamodule.train_dataloader()))
    (numeric, categories), targets = batch
    assert numeric.shape == (8, 2) and categories.shape == (8, 1) and targets.shape == (8,)


def test_bundled_diabetes_is_written_once_and_used_by_default(data_args: list[str], isolated: Path) -> None:
    datamodule = make_datamodule(data_args, "--data.csv_path", "null", "--data.target_column", "target")
    assert datamodule.csv_path.is_file()
    table = datamodule.table
    assert len(table.targets) == 442
    assert table.categorical_columns == ["sex"]
    assert "split" not in table.numeric_columns and len(table.numeric_columns) == 9
    assert datamodule.category_sizes == [3]
    frame = pd.read_csv(datamodule.csv_path)
    assert frame["split"].value_counts(normalize=True).to_dict() == pytest.approx(
        {"train": 0.70, "val": 0.15, "test": 0.15}, abs=0.01
    )
    assert frame["target"].between(25, 346).all()  # the raw target, not scaled
    stamp = datamodule.csv_path.stat().st_mtime_ns
    write_diabetes(datamodule.csv_path)
    assert datamodule.csv_path.stat().st_mtime_ns == stamp
    assert [path.name for path in datamodule.csv_path.parent.iterdir()] == [datamodule.csv_path.name]


def test_predict_path_maps_unknown_categories_to_the_unknown_index(data_args: list[str], tmp_path: Path) -> None:
    rows = pd.DataFrame({"name": ["a", "b"], "x2": [1.0, 2.0], "colour": ["purple", "red"], "x1": [3.0, 4.0]})
    rows.to_csv(tmp_path / "new.csv", index=False)
    datamodule = make_datamodule(
        data_args, "--data.predict_path", str(tmp_path / "new.csv"), "--data.id_column", "name"
    )
    datamodule.setup("predict")
    dataset = datamodule.predict_dataset
    assert dataset.row_ids == ["a", "b"]
    (numeric, categories), target = dataset[0]
    assert numeric.tolist() == [3.0, 1.0]  # the training file's column order
    assert categories.item() == UNKNOWN
    assert dataset[1][0][1].item() == datamodule.encoder.vocabularies["colour"].index("red") + 1
    assert torch.isnan(target)


def test_listed_categorical_columns_keep_their_text(tmp_path: Path) -> None:
    frame = tiny_frame()
    frame["zip"] = ["01", "02", "10"] * (NUM_ROWS // 3)
    frame.to_csv(tmp_path / FILE_NAME, index=False)
    table = read_table(tmp_path / FILE_NAME, TARGET, categorical_columns=["zip", "x2"])
    assert table.numeric_columns == ["x1"]
    assert table.categorical_columns == ["colour", "x2", "zip"]
    assert sorted(set(table.categories[:, 2])) == ["01", "02", "10"]


def write_broken(path: Path, change: str) -> Path:
    frame = tiny_frame().astype(object)
    if change == "no-target":
        frame = frame.drop(columns=[TARGET])
    elif change == "text-target":
        frame.loc[7, TARGET] = "high"
    elif change == "empty-feature":
        frame.loc[5, "x2"] = np.nan
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ("no-target", r"no column 'y' \(the target column.*its columns are: x1, colour, x2, split"),
        ("text-target", r"row 7 \(line 9\) has 'high' in the target column 'y', which is not a number"),
        ("empty-feature", r"row 5 \(line 7\) has no value in feature column 'x2'"),
    ],
)
def test_bad_csv_is_named_in_the_error(tmp_path: Path, change: str, pattern: str) -> None:
    path = write_broken(tmp_path / "broken.csv", change)
    with pytest.raises(ValueError, match=pattern) as error:
        read_table(path, TARGET)
    assert str(path) in str(error.value)


def test_bad_csv_fails_before_training(data_args: list[str], tmp_path: Path) -> None:
    path = write_broken(tmp_path / "broken.csv", "text-target")
    with pytest.raises(ValueError, match=r"row 7 \(line 9\)"):
        main(["fit", *data_args, "--data.csv_path", str(path)])


def test_missing_file_and_unknown_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"csv_path .*missing\.csv"):
        read_table(tmp_path / "missing.csv", TARGET)
    path = write_broken(tmp_path / "tiny.csv", "none")
    with pytest.raises(ValueError, match=r"no column 'size' \(listed in data.categorical_columns\)"):
        read_table(path, TARGET, categorical_columns=["size"])


def test_predict_file_without_a_feature_column_is_named(data_args: list[str], tmp_path: Path) -> None:
    tiny_frame().drop(columns=["x2"]).to_csv(tmp_path / "new.csv", index=False)
    datamodule = make_datamodule(data_args, "--data.predict_path", str(tmp_path / "new.csv"))
    with pytest.raises(ValueError, match=r"new\.csv has no column 'x2'"):
        datamodule.setup("predict")
