"""Without a logger, every run still gets a folder of its own under runs/, with its config and checkpoints."""

from __future__ import annotations

from .conftest import TrainedRun


def test_run_keeps_config_and_checkpoints_in_its_own_folder_without_a_logger(trained_run: TrainedRun) -> None:
    trainer = trained_run.cli.trainer
    assert trainer.logger is None
    assert trained_run.folder.parent == (trained_run.workdir / "runs").resolve()
    assert trained_run.folder.name.startswith("version_")
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "last.ckpt").is_file()
