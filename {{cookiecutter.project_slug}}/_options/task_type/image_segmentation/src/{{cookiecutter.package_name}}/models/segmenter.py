"""The LightningModule for semantic segmentation."""

from __future__ import annotations

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassF1Score, MulticlassJaccardIndex

from .supervised import SupervisedModule
from .unet import UNet


class SegmentationModel(SupervisedModule):
    """Give every pixel one of `num_classes` classes, with a class-weighted cross-entropy loss.

    Args:
        num_classes: Number of classes, background included (linked from the data module).
        class_weights: Loss weight of each class (linked from the data module).
        ignore_index: Mask value of unlabelled pixels, left out of loss and metrics (linked from the data module).
        base_channels: Channels of the U-Net's first level; each level below doubles them.
        depth: Levels of the U-Net below the first (the resolution halves at each).
        stem_stride: Stride of the U-Net's first convolution: 2 runs it at half resolution
            (four times cheaper; its logits are upsampled to the image's size), 1 at full resolution.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: Builds the learning-rate scheduler from the optimizer; None for a constant rate.
    """

    def __init__(
        self,
        num_classes: int,
        class_weights: list[float] | None = None,
        ignore_index: int = 255,
        base_channels: int = 16,
        depth: int = 3,
        stem_stride: int = 2,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        weight = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
        metrics = MetricCollection(
            {
                # Mean over classes of intersection over union, over all pixels of the epoch.
                "iou": MulticlassJaccardIndex(num_classes=num_classes, average="macro", ignore_index=ignore_index),
                # Dice of a class is its pixels' F1 score: the mean over classes.
                "dice": MulticlassF1Score(num_classes=num_classes, average="macro", ignore_index=ignore_index),
            }
        )
        super().__init__(nn.CrossEntropyLoss(weight=weight, ignore_index=ignore_index), metrics, optimizer, scheduler)
        self.save_hyperparameters()
        # Channels-last weights: convolutions run in the layout GPU tensor cores (and oneDNN on CPUs) prefer.
        self.network = UNet(3, num_classes, base_channels=base_channels, depth=depth, stem_stride=stem_stride).to(
            memory_format=torch.channels_last
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits, (N, num_classes, H, W), for images (N, 3, H, W)."""
        return self.network(images)

    def predict_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> dict[str, torch.Tensor]:
        """Each image's predicted class per pixel (N, H, W) and its mean confidence (N,):
        the predicted class's probability, averaged over the pixels."""
        images, _ = batch
        confidence, classes = self(images).softmax(dim=1).max(dim=1)
        # Kept until the writer runs at the epoch's end: the smallest type that holds every class.
        classes = classes.to(torch.uint8 if self.hparams.num_classes <= 256 else torch.int32)
        return {"classes": classes, "confidence": confidence.mean(dim=(1, 2))}
