"""The figures stay files in the run's folder: a CSV logger holds numbers, and there may be no logger."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.loggers import Logger


def log_figures(logger: Logger, pictures: dict[str, Path], step: int) -> None:
    """Nothing to send: `pictures` are already in the run's `plots/`."""
