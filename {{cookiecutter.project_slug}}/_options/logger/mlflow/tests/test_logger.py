"""A real run logs to MLflow's SQLite store; its config lands in the run's folder."""

from __future__ import annotations

from lightning.pytorch.loggers import MLFlowLogger
from mlflow.tracking import MlflowClient

from .conftest import TrainedRun


def test_run_records_metrics_and_keeps_config_and_checkpoints(trained_run: TrainedRun) -> None:
    logger = trained_run.cli.trainer.logger
    assert isinstance(logger, MLFlowLogger)
    store = trained_run.workdir / "runs" / "mlflow.db"
    assert store.is_file()
    run = MlflowClient(tracking_uri=f"sqlite:///{store}").get_run(logger.run_id)
    assert "val/loss" in run.data.metrics
    assert "train/loss" in run.data.metrics
    assert trained_run.folder.name == logger.run_id
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "last.ckpt").is_file()
    assert not (trained_run.workdir / "config.yaml").exists()
