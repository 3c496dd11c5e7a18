"""A real run logs metrics to CSV, with its config and checkpoints in the run's folder."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml
from lightning.pytorch.loggers import CSVLogger

from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import TrainedRun


def test_run_writes_metrics_config_and_checkpoints_in_one_folder(trained_run: TrainedRun) -> None:
    logger = trained_run.cli.trainer.logger
    assert isinstance(logger, CSVLogger)
    assert (trained_run.workdir / logger.log_dir).resolve() == trained_run.folder
    with (trained_run.folder / "metrics.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert any(row.get("val/loss") for row in rows)
    assert any(row.get("train/loss") for row in rows)
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "last.ckpt").is_file()
    assert not (trained_run.workdir / "config.yaml").exists()
    # The run's config is its hyperparameters.
    hyperparameters = yaml.safe_load((trained_run.folder / "hparams.yaml").read_text())
    assert hyperparameters["trainer"]["max_epochs"] == trained_run.cli.trainer.max_epochs


def logged_epochs(path: Path) -> set[int]:
    with path.open() as file:
        return {int(row["epoch"]) for row in csv.DictReader(file) if row.get("val/loss")}


def test_a_resumed_run_keeps_the_metrics_of_its_earlier_epochs(data_args: list[str]) -> None:
    quiet = ["--trainer.enable_progress_bar", "false"]
    first = main(["fit", *data_args, *quiet, "--trainer.max_epochs", "1"])
    folder = run_dir(first.trainer)
    main(["fit", *data_args, *quiet, "--trainer.max_epochs", "2", "--ckpt_path", "last"])
    # CSVLogger starts a new metrics.csv in a folder it opens again: the earlier one is kept beside it.
    assert logged_epochs(folder / "metrics-until-resume-0.csv") == {0}
    assert logged_epochs(folder / "metrics.csv") == {1}
