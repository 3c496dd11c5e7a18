"""Run the command line in other processes, and what those processes report back.

The callbacks and the profiler here are passed to such a run by import path
(`tests.processes.<name>`), so the project root is on the run's PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.profilers import PassThroughProfiler
from lightning.pytorch.trainer.states import TrainerFn

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def plugin(class_name: str, **init_args: object) -> str:
    """A callback or profiler of this module as a command-line value."""
    return json.dumps({"class_path": f"{__name__}.{class_name}", "init_args": init_args})


def start_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, launcher: list[str] | None = None
) -> subprocess.Popen[str]:
    """Start `python -m {{ cookiecutter.package_name }} <args>` (the installed package) in `cwd`, with
    `env` added to this process's environment, in a process group of its own; with `launcher` (a
    module and its options, such as torchrun's), as that module's `-m` argument."""
    path = [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
    env = os.environ | (env or {}) | {"PYTHONPATH": os.pathsep.join(filter(None, path))}
    command = [sys.executable, *(["-m", *launcher] if launcher else []), "-m", "{{ cookiecutter.package_name }}", *args]
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def finished(process: subprocess.Popen[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Wait for a process of `start_cli`; on timeout, kill it and every process it started (a
    distributed run's other ranks) and fail."""
    with process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            raise AssertionError(f"{' '.join(process.args)} ran over {timeout} s:\n{output[-5000:]}") from None
    return subprocess.CompletedProcess(process.args, process.returncode, output)


def run_cli(
    args: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m {{ cookiecutter.package_name }} <args>` in `cwd` as `start_cli` does, and wait as `finished` does."""
    return finished(start_cli(args, cwd, env), timeout)


def free_port() -> int:
    """A TCP port of the loopback that no process listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(port: int, server: subprocess.Popen, log: Path, timeout: float) -> None:
    """Wait until the server on `port` of the loopback answers `/health`; fail with its log, `log`,
    if it ends first or takes over `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-5000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    command = " ".join(map(str, server.args))
    raise AssertionError(f"{command} did not answer /health within {timeout} s:\n{log.read_text()[-5000:]}")


def write_record(folder: str, name: str, record: dict[str, Any]) -> None:
    path = Path(folder) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


class KillInEpoch(Callback):
    """SIGKILL this process after the middle batch of epoch `epoch` (0-based), as an
    out-of-memory killer or a lost node would: no hook, no checkpoint, no clean-up.
    Records where it stopped in `marker` first."""

    def __init__(self, epoch: int, marker: str) -> None:
        self.epoch = epoch
        self.marker = marker

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        batch_idx = args[-1]
        if trainer.current_epoch == self.epoch and batch_idx == (trainer.num_training_batches - 1) // 2:
            Path(self.marker).write_text(
                json.dumps(
                    {
                        "epoch": trainer.current_epoch,
                        "batch_idx": batch_idx,
                        "batches": trainer.num_training_batches,
                        "global_step": trainer.global_step,
                    }
                )
            )
            os.kill(os.getpid(), signal.SIGKILL)


class SignalAtStep(Callback):
    """Send this process `signals` (names, in turn) once training reaches global step `step`."""

    def __init__(self, step: int, signals: list[str]) -> None:
        self.step = step
        self.signals = signals

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        if trainer.global_step == self.step:
            for name in self.signals:
                os.kill(os.getpid(), signal.Signals[name])


class FailOnRank(Callback):
    """Raise on process `rank` alone once training reaches global step `step`."""

    def __init__(self, rank: int, step: int) -> None:
        self.rank = rank
        self.step = step

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        if trainer.global_rank == self.rank and trainer.global_step == self.step:
            raise RuntimeError(f"rank {self.rank} failed on purpose at step {self.step}")


class DistributedProbe(Callback):
    """Record what each process of a distributed run saw, as `<folder>/<what>-rank<N>.json`:
    its split, its checkpoint folder, which test samples it evaluated and the test
    metrics it logged."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def _write(self, trainer: Trainer, what: str, record: dict[str, Any]) -> None:
        write_record(self.folder, f"{what}-rank{trainer.global_rank}", record)

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._write(
            trainer,
            "fit",
            {
                "world_size": trainer.world_size,
                "pid": os.getpid(),
                "split": trainer.datamodule.split_membership(),
                "checkpoint_dir": trainer.checkpoint_callback.dirpath,
            },
        )

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        loader = trainer.test_dataloaders
        batches = [list(batch) for batch in loader.batch_sampler]
        self._write(trainer, "test-batches", {"dataset_size": len(loader.dataset), "batches": batches})

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        logged = {name: float(value) for name, value in trainer.callback_metrics.items() if name.startswith("test/")}
        self._write(trainer, "test-metrics", logged)


class PrepareDataCounter(PassThroughProfiler):
    """Record, in `<folder>/prepare_data-<pid>.json`, each Trainer stage this process ran
    and how often Lightning called the data module's `prepare_data` hook in it.

    A profiler, because Lightning calls `prepare_data` before any callback hook and
    profiles each call: this counts the hook without changing the data module.
    """

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder
        self.stages: list[dict[str, Any]] = []

    def setup(self, stage: str, local_rank: int | None = None, log_dir: str | None = None) -> None:
        super().setup(stage, local_rank, log_dir)
        self.stages.append({"stage": TrainerFn(stage).value, "local_rank": local_rank, "prepare_data": 0})
        self._save()

    def start(self, action_name: str) -> None:
        if action_name.startswith("[LightningDataModule]") and action_name.endswith(".prepare_data"):
            self.stages[-1]["prepare_data"] += 1
            self._save()

    def _save(self) -> None:
        write_record(self.folder, f"prepare_data-{os.getpid()}", {"stages": self.stages})
