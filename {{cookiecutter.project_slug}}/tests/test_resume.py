"""A run killed outright (SIGKILL: no hook runs, no checkpoint is saved) resumes from its
last checkpoint and ends where an uninterrupted run ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.cli import main

from .processes import plugin, run_cli

pytestmark = pytest.mark.slow  # it runs the command line in another process, and three short fits
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

    uninterrupted_dir = tmp_path / "uninterrupted"
    uninterrupted_dir.mkdir()
    monkeypatch.chdir(uninterrupted_dir)
    uninterrupted = main(fit)
    steps_per_epoch = uninterrupted.trainer.num_training_batches
    # By path: testing the best checkpoint after fit restores the callback's state as it was
    # when that checkpoint was saved, `last_model_path` included.
    reference = end_of(Path(uninterrupted.trainer.checkpoint_callback.dirpath) / "last.ckpt")
    assert reference == (EPOCHS - 1, EPOCHS * steps_per_epoch), "the uninterrupted run stopped early"

    killed_dir = tmp_path / "killed"
    killed_dir.mkdir()
    marker = killed_dir / "killed.json"
    killer = plugin("KillInEpoch", epoch=KILLED_IN_EPOCH, marker=str(marker))
    killed = run_cli([*fit, f"--trainer.callbacks+={killer}"], cwd=killed_dir, timeout=300)
    assert killed.returncode == -9, killed.stdout[-5000:]
    stopped = json.loads(marker.read_text())
    assert stopped["batches"] == steps_per_epoch
    assert steps_per_epoch * KILLED_IN_EPOCH < stopped["global_step"] < steps_per_epoch * (KILLED_IN_EPOCH + 1), (
        "the kill did not land inside an epoch"
    )

    (last,) = killed_dir.rglob("last.ckpt")
    assert not list(killed_dir.rglob("interrupted.ckpt")), "SIGKILL leaves no time to save a checkpoint"
    # last.ckpt holds the end of the epoch before the kill, whether or not that epoch improved
    # the watched metric: only the steps of the epoch that was killed are lost.
    assert end_of(last) == (KILLED_IN_EPOCH - 1, KILLED_IN_EPOCH * steps_per_epoch)

    monkeypatch.chdir(killed_dir)
    resumed = main([*fit, "--ckpt_path", str(last)])
    assert resumed.trainer.state.finished
    # Nothing lost, nothing done twice: the steps after the checkpoint are redone once.
    assert end_of(Path(resumed.trainer.checkpoint_callback.dirpath) / "last.ckpt") == reference
