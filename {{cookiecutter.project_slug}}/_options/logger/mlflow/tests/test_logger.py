"""A real run logs to MLflow's SQLite store, its config as the run's parameters; its config file and
checkpoints land in the run's folder. Given a tracking server's URL, a run logs to the server, which
keeps it in PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from lightning.pytorch.loggers import MLFlowLogger
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import TrainedRun
from .postgres import throwaway_server
from .processes import free_port, wait_until_healthy
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


@pytest.mark.slow  # a PostgreSQL server and an MLflow server of its own
def test_a_run_logs_to_a_tracking_server_that_keeps_it_in_postgresql(data_args: list[str], tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    artifacts = tmp_path / "server-artifacts"
    log = tmp_path / "server.log"
    with throwaway_server() as database, log.open("w") as output:
        command = ["--backend-store-uri", database, "--artifacts-destination", str(artifacts), "--workers", "1"]
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", *command, "--host", "127.0.0.1", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_healthy(port, server, log, timeout=120)
            short = ["--trainer.max_epochs", "1", "--trainer.log_every_n_steps", "1"]
            cli = main(["fit", *data_args, *short, "--trainer.logger.init_args.tracking_uri", url])
            run_id = cli.trainer.logger.run_id
            client = MlflowClient(url)
            run = client.get_run(run_id)
            assert {"train/loss", "val/loss"} <= set(run.data.metrics)
            assert run.data.params["trainer/max_epochs"] == "1"  # the run's config, as its parameters
            plots = {artifact.path for artifact in client.list_artifacts(run_id, "plots")}
            assert plots == {f"plots/{name}.png" for name in PLOTS}
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    # The server keeps the plots where it was told to; the run's folder keeps its config and checkpoints.
    assert {path.name for path in artifacts.rglob("*.png")} == {f"{name}.png" for name in PLOTS}
    assert not list(Path("runs").rglob("mlflow-artifacts"))
    assert (run_dir(cli.trainer) / "checkpoints" / "best.ckpt").is_file()
