"""Figures to MLflow: artifacts of the run, under `plots/`, that its UI shows."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.loggers import MLFlowLogger


def log_figures(logger: MLFlowLogger, pictures: dict[str, Path], step: int) -> None:
    """Each PNG of `pictures` (by name, e.g. `plots/confusion_matrix`) as an artifact of that name."""
    for name, path in pictures.items():
        logger.experiment.log_artifact(logger.run_id, str(path), artifact_path=str(Path(name).parent))
