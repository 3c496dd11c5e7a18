"""A real run logs to TensorBoard, with its config and checkpoints in the run's folder."""

from __future__ import annotations

from pathlib import Path

import yaml
from lightning.pytorch.loggers import TensorBoardLogger
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from .conftest import TrainedRun
from .test_plots import PLOTS


def test_run_writes_events_config_and_checkpoints_in_one_folder(trained_run: TrainedRun) -> None:
    logger = trained_run.cli.trainer.logger
    assert isinstance(logger, TensorBoardLogger)
    assert (trained_run.workdir / logger.log_dir).resolve() == trained_run.folder
    assert list(trained_run.folder.glob("events.out.tfevents.*"))
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "last.ckpt").is_file()
    assert not (trained_run.workdir / "config.yaml").exists()
    assert Path(logger.save_dir) == Path("runs")
    # The run's config is its hyperparameters.
    hyperparameters = yaml.safe_load((trained_run.folder / "hparams.yaml").read_text())
    assert hyperparameters["trainer"]["max_epochs"] == trained_run.cli.trainer.max_epochs


def test_the_plots_reach_tensorboard_as_images(trained_run: TrainedRun) -> None:
    events = EventAccumulator(str(trained_run.folder), size_guidance={"images": 0}).Reload()
    assert set(events.Tags()["images"]) == {f"plots/{name}" for name in PLOTS}
    for name in PLOTS:
        (image,) = events.Images(f"plots/{name}")
        assert image.encoded_image_string == (trained_run.folder / "plots" / f"{name}.png").read_bytes()
