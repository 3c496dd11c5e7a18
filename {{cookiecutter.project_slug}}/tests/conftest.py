"""Fixtures shared by every test: an isolated working folder, tiny data, one short real run."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import torch
from lightning.pytorch.cli import LightningCLI

from {{ cookiecutter.package_name }}.data.datamodule import available_cores
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .tiny_data import write_tiny_dataset

OFFLINE_ENV = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "MLFLOW_ENABLE_ASYNC_LOGGING": "false"}
# Set as the loggers' keys during the real run: no file of the run may hold it.
FAKE_SECRET = "not-a-real-key-0123456789abcdef0123456789abcdef"
SECRET_ENV = {"WANDB_API_KEY": FAKE_SECRET, "MLFLOW_TRACKING_PASSWORD": FAKE_SECRET}


# Processes of `-n auto` for the quick tests: each builds the session's fixtures (a short fit) once,
# so more would spend more on them than they save.
MAX_TEST_PROCESSES = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """The processes of `-n auto`: one per core up to MAX_TEST_PROCESSES; none (the tests in this
    process) where the selection takes slow or GPU tests, which start processes or use a device of their own."""
    expression = config.option.markexpr
    if any(marker in expression and f"not {marker}" not in expression for marker in ("slow", "kill", "gpu")):
        return 0
    cores = available_cores()
    return min(cores, MAX_TEST_PROCESSES) if cores > 1 else 0


def pytest_configure(config: pytest.Config) -> None:
    """In each process of `-n`, torch's share of the cores: more threads than cores slow every process down."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        torch.set_num_threads(max(1, available_cores() // int(workers)))


# The tests that read the session's run (`trained_run`) carry this marker: `pytest -n 0 -m "shared_run
# and not slow"` checks a change on one real run.
SHARED_RUN_MARKER = "shared_run"


def pytest_itemcollected(item: pytest.Item) -> None:
    if "trained_run" in getattr(item, "fixturenames", ()):
        item.add_marker(SHARED_RUN_MARKER)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every test in its own folder (runs/ and data/ land there), offline."""
    monkeypatch.chdir(tmp_path)
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def data_args(data_dir: Path) -> list[str]:
    """Point the data module at the tiny data, loaded in the test process."""
    return [*write_tiny_dataset(data_dir), "--data.num_workers", "0", "--data.batch_size", "8"]


@dataclass(frozen=True)
class DefaultBuild:
    cli: LightningCLI  # built with run=False from the default configs alone
    workdir: Path  # its working folder, where the bundled data were written


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> DefaultBuild:
    """The CLI built from the default configs with no argument, once: it writes the bundled data."""
    workdir = tmp_path_factory.mktemp("default_build")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        return DefaultBuild(main([], run=False), workdir)


@dataclass(frozen=True)
class TrainedRun:
    cli: LightningCLI
    workdir: Path  # the working folder of the run: relative paths in its config start here
    folder: Path  # the run's own folder (absolute): config, checkpoints, logs


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, data_args: list[str]) -> TrainedRun:
    """A short real `fit`: unlike fast_dev_run, it keeps the logger and the checkpoints."""
    workdir = tmp_path_factory.mktemp("trained_run")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        for name, value in (OFFLINE_ENV | SECRET_ENV).items():
            patch.setenv(name, value)
        cli = main(["fit", *data_args, "--trainer.max_epochs", "2", "--trainer.log_every_n_steps", "1"])
        return TrainedRun(cli, workdir, run_dir(cli.trainer).resolve())


def predicted_numbers(args: list[str], precision: str) -> dict[str, list[float]]:
    """The numeric columns of what `predict <args>` writes in `precision`."""
    cli = main(["predict", *args, "--trainer.precision", precision, "--trainer.enable_progress_bar", "false"])
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    columns = {}
    for name in rows[0]:
        try:
            columns[name] = [float(row[name]) for row in rows]
        except ValueError:
            continue
    return columns


def assert_close_predictions(mixed: dict[str, list[float]], full: dict[str, list[float]]) -> None:
    """Mixed-precision predictions within 2 % of the float32 ones' range (probabilities: 2 points)."""
    assert full, "predictions.csv has no numeric column"
    for name, values in full.items():
        tolerance = 0.02 * max(max(values) - min(values), 1.0)
        assert mixed[name] == pytest.approx(values, abs=tolerance), name


@contextmanager
def stopped_before(monkeypatch: pytest.MonkeyPatch, module: ModuleType, folder_name: str) -> Iterator[None]:
    """Within the block, `module.fit_in` stops as Ctrl+C would when it comes to the folder
    `folder_name` (a fold, a seed): the block must end in that stop. After it, fits go on as usual."""
    fit_in = module.fit_in

    def stopping(folder: Path, args: list[str]) -> str:
        if folder.name == folder_name:
            raise KeyboardInterrupt
        return fit_in(folder, args)

    monkeypatch.setattr(module, "fit_in", stopping)
    with pytest.raises(KeyboardInterrupt):
        yield
    monkeypatch.setattr(module, "fit_in", fit_in)
