"""The tabular regression data: the target and its scale, fitted on the training rows; target ranges
for stratified splits; bad targets named in the errors; the bundled diabetes data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import torch

from {{ cookiecutter.package_name }}.data import TabularRegressionDataModule
from {{ cookiecutter.package_name }}.data.bundled import write_bundled_csv
from {{ cookiecutter.package_name }}.training.cli import main

from .conftest import DefaultBuild
from .tiny_data import TARGET, tiny_frame


def make_datamodule(data_args: list[str], *extra: str) -> TabularRegressionDataModule:
    """The data module exactly as the configs build it."""
    return main([*data_args, *extra], run=False).datamodule


def test_the_targets_scale_is_fitted_on_the_training_rows(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args)
    targets = tiny_frame()[TARGET]
    train = targets.iloc[datamodule.split_indices.train]
    assert datamodule.target_mean == pytest.approx(train.mean(), rel=1e-9)
    assert datamodule.target_mean != pytest.approx(targets.mean(), rel=1e-9)
    assert datamodule.target_std == pytest.approx(train.std(ddof=0), rel=1e-6)
    assert type(datamodule.target_mean) is float and type(datamodule.target_std) is float
    datamodule.setup("fit")
    _, target = datamodule.train_dataset[0]
    assert target.dtype == torch.float32
    assert target.item() == train.iloc[0]


def test_stratified_splits_keep_the_targets_ranges_in_proportion(data_args: list[str]) -> None:
    labels = make_datamodule(data_args, "--data.stratify_bins", "4").split_labels
    counts = Counter(labels)
    assert len(counts) == 4
    assert all(label.startswith(f"{TARGET} in (") for label in counts)
    assert max(counts.values()) - min(counts.values()) <= 2


def test_a_bad_target_is_named(data_args: list[str], tmp_path: Path) -> None:
    split = make_datamodule(data_args).split
    for value, message in (
        ("high", r"row 7 \(line 9\) holds 'high' in numeric column 'target', not a finite number"),
        (None, r"row 7 \(line 9\) has no value in column 'target'"),
    ):
        frame = tiny_frame().astype(object)
        frame.iloc[7, frame.columns.get_loc(TARGET)] = value
        frame.to_csv(tmp_path / "bad.csv", index=False)
        with pytest.raises(ValueError, match=message):
            _ = TabularRegressionDataModule(split, csv_path=str(tmp_path / "bad.csv")).target_mean


def test_bundled_diabetes_is_written_once_and_used_by_default(
    default_build: DefaultBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(default_build.workdir)
    datamodule = default_build.cli.datamodule
    assert datamodule.vocabularies == {"sex": ["A", "B"]}
    assert datamodule.numeric_columns == ["age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    frame = pd.read_csv(datamodule.csv_path)
    assert len(frame) == 442
    assert frame["split"].value_counts(normalize=True).to_dict() == pytest.approx(
        {"train": 0.70, "val": 0.15, "test": 0.15}, abs=0.01
    )
    assert frame[TARGET].between(25, 346).all()  # the raw target, not scaled
    stamp = datamodule.csv_path.stat().st_mtime_ns
    write_bundled_csv(datamodule.csv_path)
    assert datamodule.csv_path.stat().st_mtime_ns == stamp
    assert sorted(path.name for path in datamodule.csv_path.parent.iterdir()) == ["cache", "diabetes.csv"]
