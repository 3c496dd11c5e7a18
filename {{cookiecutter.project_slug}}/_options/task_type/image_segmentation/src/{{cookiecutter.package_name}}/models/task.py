"""The LightningModule for semantic segmentation."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import torch
from lightning.pytorch import Callback
from lightning.pytorch.cli import OptimizerCallable
from PIL import Image
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassF1Score, MulticlassJaccardIndex

from ..data.images import ImageSource
from ..data.task import image_to_segment
from ..plots.mask_figures import MaskFigures
from .finetuning import FreezeBackbone
from .images import ImageModel
from .supervised import Schedule
from .unet import build_unet


def mask_png(classes: np.ndarray, height: int, width: int, palette: list[list[int]] | None = None) -> str:
    """Class indices resized to `width` x `height` (nearest: no blended classes), as the base64 of a
    PNG: a palette PNG with the [r, g, b] of each class in `palette` (its pixels are still the class
    indices), else a single-channel one."""
    mask = Image.fromarray(classes).resize((width, height), Image.Resampling.NEAREST)
    if palette is not None and classes.dtype == np.uint8:
        mask.putpalette([value for color in palette for value in color])  # mode L becomes P, same values
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class SegmentationModel(ImageModel):
    """Give every pixel one of `class_names`, with a class-weighted cross-entropy loss.

    Args:
        class_names: The classes, in the order of the outputs: mask value i is class i, 0 the
            background (linked from the data module).
        image_size: Side of the square images it takes (linked from the data module).
        class_weights: Loss weight of each class (linked from the data module).
        ignore_index: Mask value of unlabelled pixels, left out of loss and metrics (linked from the data module).
        mask_palette: The [r, g, b] of each class, with which predicted masks are written as palette
            PNGs, coloured as the training masks (linked from the data module: their palette, or
            its `mask_colors`); None: single-channel PNGs of class indices.
        balance_classes: Weigh each class's loss with `class_weights`; false: every class weighs 1.
        base_channels: Channels of the U-Net's first level; each level below doubles them.
        depth: Levels of the U-Net below the first (the resolution halves at each).
        stem_stride: Stride of the U-Net's first convolution: 2 runs it at half resolution
            (four times cheaper; its logits are upsampled to the image's size), 1 at full resolution.
        encoder: None: the U-Net's own encoder above, from scratch; `timm/<name>`: a timm model's
            feature extractor as the encoder (then base_channels, depth and stem_stride are unused).
        pretrained: The encoder's weights: None, from scratch; true, timm's default weights,
            downloaded once on a machine with a network; or the path of a local state dict of its
            architecture (a classifier's: its head is skipped). A checkpoint holds the weights.
        freeze_backbone_epochs: Epochs during which only the decoder trains, the encoder frozen.
        backbone_lr_ratio: With pretrained weights, the encoder's learning rate is the optimizer's
            times this (the decoder's is the optimizer's).
        mean: Per-channel mean of the pixels (scaled to [0, 1]) that normalization subtracts; None:
            the pretrained weights' own, or 0.5.
        std: Per-channel standard deviation that normalization divides by; None: as `mean`.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: The learning-rate schedule: "cosine" over the run, a scheduler, or None.
    """

    def __init__(
        self,
        class_names: list[str],
        image_size: int,
        class_weights: list[float] | None = None,
        ignore_index: int = 255,
        mask_palette: list[list[int]] | None = None,
        balance_classes: bool = True,
        base_channels: int = 16,
        depth: int = 3,
        stem_stride: int = 2,
        encoder: str | None = None,
        pretrained: bool | str | None = None,
        freeze_backbone_epochs: int = 0,
        backbone_lr_ratio: float = 0.1,
        mean: tuple[float, float, float] | None = None,
        std: tuple[float, float, float] | None = None,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: Schedule = "cosine",
    ) -> None:
        num_classes = len(class_names)
        weight = torch.tensor(class_weights, dtype=torch.float32) if class_weights and balance_classes else None
        metrics = MetricCollection(
            {
                # Mean over classes of intersection over union, over all pixels of the epoch.
                "iou": MulticlassJaccardIndex(num_classes=num_classes, average="macro", ignore_index=ignore_index),
                # Dice of a class is its pixels' F1 score: the mean over classes.
                "dice": MulticlassF1Score(num_classes=num_classes, average="macro", ignore_index=ignore_index),
            }
        )
        loss = nn.CrossEntropyLoss(weight=weight, ignore_index=ignore_index)
        network, weights_mean, weights_std = build_unet(
            num_classes, encoder, pretrained, base_channels, depth, stem_stride
        )
        super().__init__(loss, metrics, optimizer, scheduler, image_size, mean or weights_mean, std or weights_std)
        self.save_hyperparameters(logger=False)
        self.class_names = list(class_names)
        if mask_palette is not None and len(mask_palette) != num_classes:
            raise ValueError(f"mask_palette gives {len(mask_palette)} colours for {num_classes} classes.")
        self.mask_palette = mask_palette
        # Channels-last weights: convolutions run in the layout GPU tensor cores (and oneDNN on CPUs) prefer.
        self.network = network.to(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits, (N, classes, H, W), of uint8 images or floats in [0, 1], (N, 3, H, W)."""
        return self.network(self.normalize(images))

    def parameter_groups(self) -> list[dict[str, Any]]:
        ratio = self.hparams.backbone_lr_ratio if self.hparams.pretrained else 1.0
        return [
            {"params": list(self.network.encoder.parameters()), "lr_scale": ratio},
            {"params": list(self.network.decoder.parameters())},
        ]

    def configure_callbacks(self) -> list[Callback]:
        epochs = self.hparams.freeze_backbone_epochs
        return [FreezeBackbone(epochs, lambda: [self.network.encoder])] if epochs else []

    def test_figures(self) -> MaskFigures:
        return MaskFigures(self.class_names, self.hparams.ignore_index)

    def infer(self, images: torch.Tensor) -> torch.Tensor:
        """Each pixel's class probabilities, (N, classes, size, size)."""
        return self(images).softmax(dim=1)

    def read_input(self, source: ImageSource) -> dict[str, torch.Tensor]:
        """An image file (path), its bytes, a PIL image or a uint8 array: decoded and resized, and its
        own height and width, to which its mask is resized back."""
        return image_to_segment(source, self.image_size)

    def predict_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> list[dict[str, Any]]:
        """The answers for a batch of images to predict, as the Python API and `serve` give them.
        Lightning keeps every batch's predictions until `predict` ends: masks compressed as PNG
        take far less memory than per-pixel probabilities."""
        return self.answers(self.infer(batch["images"]), batch)

    def answers(self, predictions: torch.Tensor, batch: dict[str, torch.Tensor]) -> list[dict[str, Any]]:
        """Per image, of its class probabilities (classes, size, size) and its `size` in `batch`:
        `mask`, the base64 of a PNG of its pixels' most probable classes (value i: `classes[i]`) at
        the image's own size (a palette PNG in the training masks' colours where they had some);
        `classes`; `confidence`, the mean over its pixels (at the model's size) of their class's
        probability."""
        confidences, classes = predictions.float().max(dim=1)
        # A PNG holds 8 or 16 bits per pixel.
        masks = classes.cpu().numpy().astype(np.uint8 if len(self.class_names) <= 256 else np.uint16)
        return [
            {
                "mask": mask_png(mask, height, width, self.mask_palette),
                "classes": list(self.class_names),
                "confidence": confidence,
            }
            for mask, confidence, (height, width) in zip(
                masks, confidences.mean(dim=(1, 2)).tolist(), batch["size"].tolist(), strict=True
            )
        ]

    def export_info(self) -> dict[str, Any]:
        classes = len(self.class_names)
        return {
            "task": "image_segmentation",
            "classes": self.class_names,
            "inputs": self.input_info(),
            "outputs": [
                {
                    "name": "probabilities",
                    "dtype": "float32",
                    "shape": ["batch", classes, self.image_size, self.image_size],
                    "after": [
                        "channel i is each pixel's probability of classes[i]",
                        "the mask is each pixel's most probable class (argmax over the channels)",
                        "resize the mask to the image's own height and width (nearest neighbour: no blended classes)",
                    ],
                }
            ],
        }
