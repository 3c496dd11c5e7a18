"""Without a logger, a real run still keeps its config and checkpoints under runs/."""

from __future__ import annotations

from .conftest import TrainedRun


def test_run_keeps_config_and_checkpoints_without_a_logger(trained_run: TrainedRun) -> None:
    trainer = trained_run.cli.trainer
    assert trainer.logger is None
    assert trained_run.folder == (trained_run.workdir / "runs").resolve()
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "last.ckpt").is_file()
