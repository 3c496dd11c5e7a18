"""A segmentation model's figures: how well it finds each class, and its masks beside the true ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from torchmetrics.classification import MulticlassJaccardIndex

from .plots import TestFigures, new_axes, short

OVERLAID_IMAGES = 6
COLORS = ListedColormap([f"C{index % 10}" for index in range(10)])


class MaskFigures(TestFigures):
    """The IoU of each class over the test pixels, and the first `OVERLAID_IMAGES` test images
    with their true and predicted masks over them (background and unlabelled pixels left clear),
    of a segmentation model's logits and a batch's `(images, masks)`."""

    def __init__(self, class_names: list[str], ignore_index: int) -> None:
        super().__init__()
        self.class_names = list(class_names)
        self.ignore_index = ignore_index
        self.iou = MulticlassJaccardIndex(len(class_names), average=None, ignore_index=ignore_index)
        self.overlaid: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # image, true, predicted

    def update(self, logits: torch.Tensor, batch: Any) -> None:
        images, masks = batch
        self.iou.update(logits, masks)
        kept = OVERLAID_IMAGES - len(self.overlaid)
        if kept > 0:
            predicted = logits[:kept].argmax(dim=1)
            self.overlaid += zip(images[:kept].cpu(), masks[:kept].cpu(), predicted.cpu(), strict=True)

    def compute(self) -> dict[str, Any]:
        return {"iou": self.iou.compute(), "overlaid": self.overlaid}

    def draw(self, values: dict[str, Any]) -> dict[str, Figure]:
        return {"per_class_iou": self.draw_iou(values["iou"]), "mask_overlays": self.draw_overlays(values["overlaid"])}

    def draw_iou(self, iou: torch.Tensor) -> Figure:
        ax = new_axes(max(6.4, 1 + 0.6 * len(self.class_names)), 5.6, margins=(0.9, 1.5, 0.3, 0.5))
        colors = [COLORS(index % 10) for index in range(len(self.class_names))]
        ax.bar([short(name) for name in self.class_names], iou.cpu().numpy(), color=colors)
        ax.tick_params(axis="x", labelrotation=45)
        ax.set(ylim=(0, 1.05), xlabel="class", ylabel="IoU", title="Intersection over union per class (test pixels)")
        ax.grid(axis="y", alpha=0.3)
        return ax.figure

    def draw_overlays(self, overlaid: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]) -> Figure:
        axes = new_axes(7.5, 2.5 * len(overlaid) + 1.3, len(overlaid), 3, margins=(0.1, 0.6, 0.1, 0.8))
        for row, (image, true, predicted) in zip(axes, overlaid, strict=True):
            pixels = image.permute(1, 2, 0).float()  # channels last, as matplotlib draws them
            pixels = (pixels / 255 if image.dtype == torch.uint8 else pixels.clamp(0, 1)).numpy()
            row[0].imshow(pixels)
            row[0].set_title("image", fontsize=9)
            for ax, mask, title in zip(row[1:], (true, predicted), ("true mask", "predicted mask"), strict=True):
                # The class colours over the image in grey, where no colour of its own can be taken for one.
                ax.imshow(pixels.mean(axis=-1), cmap="gray", vmin=0, vmax=1)
                clear = (mask == 0) | (mask == self.ignore_index)
                shown = np.ma.masked_where(clear.numpy(), mask.numpy() % 10)
                ax.imshow(shown, cmap=COLORS, vmin=0, vmax=9, alpha=0.6, interpolation="nearest")
                ax.set_title(title, fontsize=9)
            for ax in row:
                ax.set_axis_off()
        legend = [
            Patch(color=COLORS(index % 10), label=short(name)) for index, name in enumerate(self.class_names) if index
        ]
        figure = axes[0, 0].figure
        figure.legend(handles=legend, loc="lower center", ncols=min(len(legend), 6))
        figure.suptitle("Test images, their true masks and the model's")
        return figure
