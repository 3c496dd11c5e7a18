"""A real run logs to W&B offline; its config lands in the run's folder, not the working folder."""

from __future__ import annotations

import os

import pytest
from lightning.pytorch.loggers import WandbLogger

from {{ cookiecutter.package_name }}.training.wandb_runs import NewRunPerCommand

from .conftest import TrainedRun
from .test_plots import PLOTS


def test_run_writes_offline_run_config_and_checkpoints(trained_run: TrainedRun) -> None:
    logger = trained_run.cli.trainer.logger
    assert isinstance(logger, WandbLogger)
    offline_runs = list((trained_run.workdir / "runs" / "wandb").glob(f"offline-run-*-{logger.version}"))
    assert len(offline_runs) == 1
    assert list(offline_runs[0].glob("*.wandb"))
    assert trained_run.folder.name == logger.version
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "last.ckpt").is_file()
    # Lightning's own callback would have written it here, and refused the next run.
    assert not (trained_run.workdir / "runs" / "config.yaml").exists()
    assert not (trained_run.workdir / "config.yaml").exists()
    # The run's config is the W&B run's config.
    assert logger.experiment.config["trainer"]["max_epochs"] == trained_run.cli.trainer.max_epochs


def test_the_plots_reach_the_wandb_run_as_images(trained_run: TrainedRun) -> None:
    run_id = trained_run.cli.trainer.logger.version
    (offline_run,) = (trained_run.workdir / "runs" / "wandb").glob(f"offline-run-*-{run_id}")
    images = list((offline_run / "files" / "media" / "images" / "plots").glob("*.png"))
    # W&B names each image file <key>_<step>_<hash>.png.
    assert sorted(path.name.rsplit("_", 2)[0] for path in images) == sorted(PLOTS)


def test_a_command_logs_through_a_wandb_service_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not through the service of the process that started it: that service would keep the id of a
    run killed outright, and refuse to resume it (test_resume.py kills and resumes one)."""
    monkeypatch.setattr(NewRunPerCommand, "first_command", True)  # as in a new process
    monkeypatch.setenv("WANDB_SERVICE", "the service of a parent process")
    NewRunPerCommand()
    assert "WANDB_SERVICE" not in os.environ
    # Its own, started with its first run, stays the service of its later commands.
    monkeypatch.setenv("WANDB_SERVICE", "this process's service")
    NewRunPerCommand()
    assert os.environ["WANDB_SERVICE"] == "this process's service"
