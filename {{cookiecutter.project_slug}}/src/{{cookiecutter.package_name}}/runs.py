"""Where a run keeps its files."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch import Trainer


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
