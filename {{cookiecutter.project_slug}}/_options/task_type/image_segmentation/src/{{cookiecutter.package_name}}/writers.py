"""Predictions of the segmentation model: mask PNG files, indexed by a CSV file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch import Trainer
from PIL import Image

from .prediction import CSVPredictionWriter
from .runs import run_dir


class MaskPredictionWriter(CSVPredictionWriter):
    """Write each image's predicted mask, a PNG of class indices the size of the image, and
    one CSV row per image: its path, its mask's path and the mean confidence over its pixels.

    Args:
        output_file: The CSV file. None: `predictions.csv` in the run's folder.
        mask_dir: The folder of the masks, named as the images (sample ids, e.g. `test/0001.png`).
            None: `predicted_masks/` beside the CSV file.
    """

    header = ("image", "mask", "mean_confidence")

    def __init__(self, output_file: str | None = None, mask_dir: str | None = None) -> None:
        super().__init__(output_file)
        self.mask_dir = mask_dir

    def masks_folder(self, trainer: Trainer) -> Path:
        if self.mask_dir:
            return Path(self.mask_dir)
        beside = Path(self.output_file).parent if self.output_file else run_dir(trainer)
        return beside / "predicted_masks"

    def rows(
        self,
        trainer: Trainer,
        predictions: Sequence[dict[str, torch.Tensor]],
        batch_indices: Sequence[Sequence[int]],
    ) -> Iterator[tuple[str, str, float]]:
        """Write each mask as its row is yielded."""
        datamodule = trainer.datamodule
        folder = self.masks_folder(trainer)
        for batch, indices in zip(predictions, batch_indices, strict=True):
            classes = batch["classes"].cpu().numpy()
            confidences = batch["confidence"].cpu().tolist()
            for index, mask, confidence in zip(indices, classes, confidences, strict=True):
                image_path = datamodule.predict_files[index]
                mask_path = folder / f"{datamodule.predict_names[index]}.png"
                mask_path.parent.mkdir(parents=True, exist_ok=True)
                with Image.open(image_path) as image:
                    size = image.size
                # More than 256 classes: a 16-bit PNG.
                pixels = mask if mask.dtype == np.uint8 else mask.astype(np.uint16)
                Image.fromarray(pixels).resize(size, Image.Resampling.NEAREST).save(mask_path)
                yield str(image_path), str(mask_path), round(confidence, 6)
