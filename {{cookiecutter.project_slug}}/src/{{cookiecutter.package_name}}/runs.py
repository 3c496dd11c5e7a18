"""Where a run keeps its files."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch import Callback, LightningModule, Trainer


def run_dir(trainer: Trainer) -> Path:
    """The run's own folder: the parent of its checkpoint folder, whatever the logger.

    Lightning resolves the checkpoint folder per logger (TensorBoard and CSV:
    save_dir/name/version; W&B: save_dir/project/run id; MLflow:
    experiment/run id), which makes it the one folder unique to every run.
    """
    checkpoint = trainer.checkpoint_callback
    if checkpoint is not None and checkpoint.dirpath:
        return Path(checkpoint.dirpath).parent
    return Path(trainer.log_dir or trainer.default_root_dir)


class InterruptCheckpoint(Callback):
    """Save `checkpoints/interrupted.ckpt` in the run's folder when a run stops early: on
    SIGTERM (what a cluster scheduler sends before it kills a job; Lightning stops after the
    current batch and the process exits with status 0), Ctrl+C or an error.
    `fit --ckpt_path <run>/checkpoints/interrupted.ckpt` goes on from there.

    A plain callback rather than Lightning's OnExceptionCheckpoint, which needs its folder
    before the run has one and, as a Checkpoint, would stand in for `trainer.checkpoint_callback`.
    """

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        trainer.save_checkpoint(run_dir(trainer) / "checkpoints" / "interrupted.ckpt")
