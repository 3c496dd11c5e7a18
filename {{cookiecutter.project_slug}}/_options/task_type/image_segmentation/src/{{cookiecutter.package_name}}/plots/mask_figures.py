"""A segmentation model's figures: how well it finds each class, and its masks beside the true ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from torchmetrics.classification import MulticlassConfusionMatrix

from .callback import TestFigures, new_axes, short

OVERLAID_IMAGES = 6
ABSENT = "absent"  # the label of a class that no test pixel holds


def class_colors(classes: int) -> list[tuple[float, float, float, float]]:
    """A colour of its own for each class: matplotlib's tab10 up to 10 classes, tab20 up to 20, then
    hues around the colour wheel, alternately lighter and darker."""
    if classes <= 10:
        return [colormaps["tab10"](index) for index in range(classes)]
    colors = [colormaps["tab20"](index) for index in range(min(classes, 20))]
    extra = classes - len(colors)
    hues = colormaps["hsv"](np.linspace(0, 1, extra, endpoint=False) + 0.5 / max(extra, 1))
    for index, (red, green, blue, alpha) in enumerate(hues):
        shade = 0.95 if index % 2 else 0.6
        colors.append((red * shade, green * shade, blue * shade, alpha))
    return colors


def iou_per_class(confusion: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Each class's intersection over union of a confusion matrix (rows: true classes), NaN for a
    class that no pixel truly holds; and each class's true pixels."""
    confusion = confusion.double().cpu()
    true = confusion.sum(dim=1)
    hits = confusion.diagonal()
    union = true + confusion.sum(dim=0) - hits
    iou = torch.where(true > 0, hits / union.clamp(min=1), torch.nan)
    return iou.numpy(), true.numpy()


class MaskFigures(TestFigures):
    """The IoU of each class over the test pixels (a class no test pixel holds is shown absent, not
    as 0), and the first `OVERLAID_IMAGES` test images with their true and predicted masks over them
    (background and unlabelled pixels left clear), of a segmentation model's logits and a batch's
    `(images, masks)`."""

    def __init__(self, class_names: list[str], ignore_index: int) -> None:
        super().__init__()
        self.class_names = list(class_names)
        self.ignore_index = ignore_index
        self.colors = class_colors(len(class_names))
        # Pixels of each true class by predicted class: the IoU of each class, and which classes are there.
        self.confusion = MulticlassConfusionMatrix(len(class_names), ignore_index=ignore_index)
        self.overlaid: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # image, true, predicted

    def update(self, logits: torch.Tensor, batch: Any) -> None:
        images, masks = batch
        predicted = logits.argmax(dim=1)
        self.confusion.update(predicted, masks)
        kept = OVERLAID_IMAGES - len(self.overlaid)
        if kept > 0:
            self.overlaid += zip(images[:kept].cpu(), masks[:kept].cpu(), predicted[:kept].cpu(), strict=True)

    def compute(self) -> dict[str, Any]:
        return {"confusion": self.confusion.compute(), "overlaid": self.overlaid}

    def draw(self, values: dict[str, Any]) -> dict[str, Figure]:
        return {
            "per_class_iou": self.draw_iou(values["confusion"]),
            "mask_overlays": self.draw_overlays(values["overlaid"]),
        }

    def draw_iou(self, confusion: torch.Tensor) -> Figure:
        iou, true = iou_per_class(confusion)
        absent = true == 0
        top = 0.8 if absent.any() else 0.5  # room for the title's second line
        ax = new_axes(max(6.4, 1 + 0.6 * len(self.class_names)), 5.6, margins=(0.9, 1.5, 0.3, top))
        positions = np.arange(len(self.class_names))
        ax.bar(positions, np.nan_to_num(iou), color=self.colors)
        if absent.any():
            # A class with no test pixel has no IoU: an outline, hatched, and the word.
            ax.bar(positions[absent], 1, color="none", edgecolor="0.7", hatch="//", linewidth=0.8)
            for position in positions[absent]:
                ax.text(position, 0.5, ABSENT, rotation=90, ha="center", va="center", color="0.4", fontsize=9)
        if len(self.class_names) <= 30:
            for position, value in zip(positions[~absent], iou[~absent], strict=True):
                ax.text(position, value + 0.01, f"{value:.2f}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(positions, [short(name) for name in self.class_names])
        ax.tick_params(axis="x", labelrotation=45)
        title = "Intersection over union per class (test pixels)"
        if absent.any():
            count = int(absent.sum())
            title += f"\nhatched: {count} class{'es' if count > 1 else ''} absent from them (no IoU)"
        ax.set(ylim=(0, 1.05), xlim=(-0.6, len(self.class_names) - 0.4), xlabel="class", ylabel="IoU", title=title)
        ax.grid(axis="y", alpha=0.3)
        return ax.figure

    def draw_overlays(self, overlaid: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]) -> Figure:
        classes = len(self.class_names)
        colormap = ListedColormap(self.colors)
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
                shown = np.ma.masked_where(clear.numpy(), mask.numpy())
                ax.imshow(shown, cmap=colormap, vmin=-0.5, vmax=classes - 0.5, alpha=0.6, interpolation="nearest")
                ax.set_title(title, fontsize=9)
            for ax in row:
                ax.set_axis_off()
        legend = [Patch(color=self.colors[index], label=short(name)) for index, name in enumerate(self.class_names)]
        figure = axes[0, 0].figure
        figure.legend(handles=legend[1:], loc="lower center", ncols=min(len(legend) - 1, 6))
        figure.suptitle("Test images, their true masks and the model's")
        return figure
