"""Predict with a checkpoint: what was fitted on the training rows comes from the checkpoint,
not from the data module, so new data (another split, other values) gives the same numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.runs import run_dir

from .conftest import TrainedRun
from .tiny_data import FILE_NAME, tiny_rows, write_csv


def predict(args: list[str]) -> list[list[str]]:
    cli = main(["predict", *args])
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        return list(csv.reader(file))


def test_predict_from_a_checkpoint_ignores_what_new_data_would_fit(
    trained_run: TrainedRun, data_args: list[str], data_dir: Path, tmp_path: Path
) -> None:
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    # Predict every row of the tiny table, whatever the split.
    every_row = ["--data.predict_csv", str(data_dir / FILE_NAME), "--ckpt_path", checkpoint]
    reference = predict([*data_args, *every_row])
    assert len(reference) == len(tiny_rows()) + 1

    # Another split seed (where the strategy has one), and other values in the new training
    # rows: a shifted column and a new category, which also renumbers the others.
    refit = list(data_args)
    if hasattr(trained_run.cli.datamodule.split, "seed"):
        refit += ["--data.split.init_args.seed", "7"]
    datamodule = main(refit, run=False).datamodule
    rows = tiny_rows()
    for position in datamodule.split_indices.train:
        rows[position]["weight"] = rows[position]["weight"] * 3 + 50
    rows[datamodule.split_indices.train[0]]["colour"] = "amber"
    refit += ["--data.csv_path", str(write_csv(tmp_path / "refit.csv", rows))]

    refitted = main(refit, run=False).datamodule
    trained = trained_run.cli.datamodule
    assert refitted.numeric_mean != pytest.approx(trained.numeric_mean)
    assert refitted.encoder.vocabularies != trained.encoder.vocabularies
    assert refitted.category_cardinalities != trained.category_cardinalities

    assert predict([*refit, *every_row]) == reference
