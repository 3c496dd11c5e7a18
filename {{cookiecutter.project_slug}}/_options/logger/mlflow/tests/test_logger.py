"""A real run logs to MLflow's SQLite store, its config as the run's parameters; its config file and
checkpoints land in the run's folder."""

from __future__ import annotations

from lightning.pytorch.loggers import MLFlowLogger

from .conftest import TrainedRun
from .test_plots import PLOTS


def test_run_records_metrics_and_keeps_config_and_checkpoints(trained_run: TrainedRun) -> None:
    logger = trained_run.cli.trainer.logger
    assert isinstance(logger, MLFlowLogger)
    assert logger._tracking_uri.startswith("sqlite:///")
    run = logger.experiment.get_run(logger.run_id)
    assert "val/loss" in run.data.metrics
    assert "train/loss" in run.data.metrics
    # The run's config is its parameters.
    assert run.data.params["trainer/max_epochs"] == str(trained_run.cli.trainer.max_epochs)
    assert trained_run.folder.name == logger.run_id
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "last.ckpt").is_file()
    assert not (trained_run.workdir / "config.yaml").exists()


def test_the_plots_reach_mlflow_as_artifacts(trained_run: TrainedRun) -> None:
    logger = trained_run.cli.trainer.logger
    artifacts = {artifact.path for artifact in logger.experiment.list_artifacts(logger.run_id, "plots")}
    assert artifacts == {f"plots/{name}.png" for name in PLOTS}
