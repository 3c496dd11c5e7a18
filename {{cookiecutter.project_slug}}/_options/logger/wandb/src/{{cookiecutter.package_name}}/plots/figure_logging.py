"""Figures to W&B: images of the run's media, by name, at the step they were drawn."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.loggers import WandbLogger


def log_figures(logger: WandbLogger, pictures: dict[str, Path], step: int) -> None:
    """Each PNG of `pictures` (by name, e.g. `plots/confusion_matrix`) as a `wandb.Image`."""
    for name, path in pictures.items():
        logger.log_image(name, [str(path)], step=step)
