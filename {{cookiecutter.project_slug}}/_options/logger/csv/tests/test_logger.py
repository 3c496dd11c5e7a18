"""A real run logs metrics to CSV, with its config and checkpoints in the run's folder."""

from __future__ import annotations

import csv

import yaml
from lightning.pytorch.loggers import CSVLogger

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
