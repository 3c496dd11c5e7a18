"""A run killed outright (SIGKILL: no hook runs, no checkpoint is saved) resumes from its
last checkpoint, and a SLURM job requeued before its time limit from its hpc checkpoint: both end
where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.training.cli import main

from .processes import plugin, run_cli

# Slow: it runs the command line in other processes, and short fits. Whether a killed run goes on
# is up to the logger too (each one names and opens its runs its own way): `pytest -m kill`.
pytestmark = [pytest.mark.slow, pytest.mark.kill]
EPOCHS = 3
KILLED_IN_EPOCH = 2  # 0-based: the last epoch, after its middle batch


def end_of(checkpoint: Path) -> tuple[int, int]:
    """The epoch and the global step a checkpoint was saved at."""
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    return saved["epoch"], saved["global_step"]


def test_sigkill_mid_epoch_resumes_from_last_checkpoint(
    data_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit = ["fit", *data_args, "--trainer.max_epochs", str(EPOCHS)]
    # One working folder for the three runs, as for a user: one runs/ (and one MLflow store).
    monkeypatch.chdir(tmp_path)
    uninterrupted = main(fit)
    steps_per_epoch = uninterrupted.trainer.num_training_batches
    uninterrupted_last = Path(uninterrupted.trainer.checkpoint_callback.dirpath).resolve() / "last.ckpt"
    # By path: testing the best checkpoint after fit restores the callback's state as it was
    # when that checkpoint was saved, `last_model_path` included.
    reference = end_of(uninterrupted_last)
    assert reference == (EPOCHS - 1, EPOCHS * steps_per_epoch), "the uninterrupted run stopped early"

    marker = tmp_path / "killed.json"
    killer = plugin("KillInEpoch", epoch=KILLED_IN_EPOCH, marker=str(marker))
    killed = run_cli([*fit, f"--trainer.callbacks+={killer}"], cwd=tmp_path, timeout=300)
    assert killed.returncode == -9, killed.stdout[-5000:]
    stopped = json.loads(marker.read_text())
    assert stopped["batches"] == steps_per_epoch
    assert steps_per_epoch * KILLED_IN_EPOCH < stopped["global_step"] < steps_per_epoch * (KILLED_IN_EPOCH + 1), (
        "the kill did not land inside an epoch"
    )

    (last,) = set(tmp_path.rglob("last.ckpt")) - {uninterrupted_last}
    assert not list(tmp_path.rglob("interrupted.ckpt")), "SIGKILL leaves no time to save a checkpoint"
    # last.ckpt holds the end of the epoch before the kill, whether or not that epoch improved
    # the watched metric: only the steps of the epoch that was killed are lost.
    assert end_of(last) == (KILLED_IN_EPOCH - 1, KILLED_IN_EPOCH * steps_per_epoch)

    resumed = main([*fit, "--ckpt_path", str(last)])
    assert resumed.trainer.state.finished
    assert Path(resumed.trainer.checkpoint_callback.dirpath).resolve() == last.parent, "resumed in another folder"
    # Nothing lost, nothing done twice: the steps after the checkpoint are redone once.
    assert end_of(last) == reference


def test_slurm_requeue_checkpoints_requeues_and_the_requeued_job_goes_on(
    data_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As under `#SBATCH --signal=SIGUSR1@90`: SLURM signals the job before its time limit, Lightning
    saves an hpc checkpoint and requeues the job, SLURM kills it; the requeued job (same job id, same
    command) goes on from the checkpoint and ends where an uninterrupted run ends."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    requeued = tmp_path / "requeued.txt"
    scontrol = bin_dir / "scontrol"  # stands in for SLURM's: records what it was asked
    scontrol.write_text(f'#!/bin/sh\necho "$@" >> {requeued}\n')
    scontrol.chmod(0o755)
    slurm = {
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NAME": "train",
        "SLURM_NTASKS": "1",
        "SLURM_NTASKS_PER_NODE": "1",
        "SLURM_NODELIST": "localhost",
        "SLURM_PROCID": "0",
        "SLURM_LOCALID": "0",
        "SLURM_NODEID": "0",
    }
    fit = ["fit", *data_args, "--trainer.max_epochs", str(EPOCHS), "--trainer.default_root_dir", "runs/slurm-4242"]
    signalled = run_cli(
        [*fit, f"--trainer.callbacks+={plugin('SignalAtStep', step=5, signals=['SIGUSR1', 'SIGKILL'])}"],
        cwd=tmp_path,
        timeout=300,
        env=slurm | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    assert signalled.returncode == -9, signalled.stdout[-5000:]
    assert requeued.read_text().split() == ["requeue", "4242"]
    # In the root folder of the runs, or in the run's own folder without a logger.
    (hpc,) = (tmp_path / "runs" / "slurm-4242").rglob("hpc_ckpt_*.ckpt")
    assert end_of(hpc)[1] == 5

    monkeypatch.chdir(tmp_path)
    for name, value in slurm.items():
        monkeypatch.setenv(name, value)
    again = main(fit)
    steps_per_epoch = again.trainer.num_training_batches
    assert again.trainer.state.finished
    assert again.trainer.global_step == EPOCHS * steps_per_epoch
    assert Path(again.config.fit.ckpt_path).resolve() == hpc, "the requeued job started afresh"
