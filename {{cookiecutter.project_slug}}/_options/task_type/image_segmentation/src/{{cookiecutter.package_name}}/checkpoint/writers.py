"""Predictions of the segmentation model: mask PNG files, indexed by a CSV file."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from lightning.pytorch import LightningModule, Trainer

from ..models import SegmentationModel
from .prediction import CSVPredictionWriter

MASKS_FOLDER = "predicted_masks"


class MaskPredictionWriter(CSVPredictionWriter):
    """Write each image's predicted mask, a PNG of class indices the size of the image, to
    `predicted_masks/` beside the CSV file, laid out as the images are in the folder they share
    (`<predict_dir>/sub/a.jpg`: `predicted_masks/sub/a.png`), and one CSV row per image: its sample
    id (its path in `predict_dir`, `sub/a.jpg`; for the test split, its id in `splits.csv`), its
    path, its mask's path relative to the CSV's folder (the two move together) and the mean
    confidence over its pixels. Both come from the model's answers, as the Python API and `serve`
    give them: masks of class indices, palette PNGs where the training masks had colours.

    Args:
        output_file: The CSV file. None: `predictions.csv` in the run's folder.
    """

    header = ("sample_id", "image", "mask", "mean_confidence")

    def on_predict_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        super().on_predict_start(trainer, pl_module)
        names = trainer.datamodule.predict_names
        self.images_folder = Path(os.path.commonpath([Path(name).parent for name in names]))
        self.sample_ids: dict[str, str] = getattr(trainer.datamodule, "predict_ids", {})

    def rows(
        self, model: SegmentationModel, names: Sequence[str], predictions: list[dict[str, Any]]
    ) -> Iterator[tuple[str, str, str, float]]:
        """Write each mask as its row is yielded; `predictions` are the batch's answers (see `predict_step`)."""
        for name, answer in zip(names, predictions, strict=True):
            mask = Path(MASKS_FOLDER) / Path(name).relative_to(self.images_folder).with_suffix(".png")
            path = self.path.parent / mask
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(answer["mask"]))
            yield self.sample_ids.get(name, name), name, mask.as_posix(), round(answer["confidence"], 6)
