"""An image classifier's figures: a classifier's, and the test images it gets most wrong."""

from __future__ import annotations

import math
from typing import Any

import torch
from matplotlib.figure import Figure

from .callback import new_axes, short
from .class_figures import ClassFigures

WORST_IMAGES = 16


class ImageClassFigures(ClassFigures):
    """`ClassFigures`, and a grid of the `WORST_IMAGES` test images given the lowest probability of
    their true class, with their true and predicted classes (under DDP, those of rank zero's share)."""

    def __init__(self, class_names: list[str]) -> None:
        super().__init__(class_names)
        # Kept on the CPU, a few at a time: (probability of the true class, image, true, predicted).
        self.worst: list[tuple[float, torch.Tensor, int, int]] = []

    def update(self, logits: torch.Tensor, batch: Any) -> None:
        super().update(logits, batch)
        images, targets = batch
        probabilities = logits.float().softmax(dim=-1)
        true_probabilities = probabilities.gather(1, targets[:, None]).squeeze(1)
        lowest = true_probabilities.topk(min(WORST_IMAGES, len(targets)), largest=False).indices
        self.worst += zip(
            true_probabilities[lowest].tolist(),
            images[lowest].cpu(),
            targets[lowest].tolist(),
            probabilities[lowest].argmax(dim=-1).tolist(),
            strict=True,
        )
        self.worst = sorted(self.worst, key=lambda sample: sample[0])[:WORST_IMAGES]

    def compute(self) -> dict[str, Any]:
        return super().compute() | {"worst": self.worst}

    def draw(self, values: dict[str, Any]) -> dict[str, Figure]:
        return super().draw(values) | {"worst_images": self.draw_worst(values["worst"])}

    def draw_worst(self, worst: list[tuple[float, torch.Tensor, int, int]]) -> Figure:
        """The images tiled into one picture (one axes draws far faster than one per image), each
        under its true class, the probability the model gave that class, and the predicted class."""
        columns = min(len(worst), 4)
        rows = math.ceil(len(worst) / columns)
        images = torch.stack(
            [image if image.dtype == torch.uint8 else (image.clamp(0, 1) * 255).byte() for _, image, *_ in worst]
        )
        height, width = images.shape[-2:]
        # White around each tile, and a band above it for its labels.
        margin, band = max(1, width // 16), height // 2
        tiles = torch.full((rows * columns, 3, height + band + margin, width + 2 * margin), 255, dtype=torch.uint8)
        tiles[: len(worst), :, band:-margin, margin:-margin] = images
        # (rows, columns, 3, h, w) to (rows * h, columns * w, 3), channels last as matplotlib draws them.
        mosaic = (
            tiles.view(rows, columns, *tiles.shape[1:]).permute(0, 3, 1, 4, 2).reshape(rows * tiles.shape[2], -1, 3)
        )
        tile_height = tiles.shape[2] / tiles.shape[3]  # in tile widths
        ax = new_axes(2.2 * columns, 2.2 * rows * tile_height + 0.5, margins=(0.1, 0.1, 0.1, 0.4))
        ax.imshow(mosaic.numpy(), extent=(0, columns, rows * tile_height, 0))
        for index, (probability, _, true, predicted) in enumerate(worst):
            true_name, predicted_name = short(self.class_names[true]), short(self.class_names[predicted])
            ax.text(
                index % columns + 0.5,
                (index // columns + band / tiles.shape[2] / 2) * tile_height,
                f"true {true_name} ({100 * probability:.0f} %)\npredicted {predicted_name}",
                ha="center",
                va="center",
                fontsize=9,
                color="tab:red" if predicted != true else "black",
            )
        ax.set_axis_off()
        ax.set_title("Test images with the lowest probability of their true class (red: misclassified)")
        return ax.figure
