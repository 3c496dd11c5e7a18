"""The LightningModule for image classification."""

from __future__ import annotations

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from .backbones import build_backbone
from .classification import accuracy_and_f1, weighted_cross_entropy
from .supervised import SupervisedModule


class ImageClassifier(SupervisedModule):
    """Classify images into `num_classes` classes with a class-weighted cross-entropy loss.

    Args:
        num_classes: Number of classes (linked from the data module).
        class_weights: Loss weight of each class (linked from the data module).
        backbone: `small_cnn` or a torchvision model name.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: Builds the learning-rate scheduler from the optimizer; None for a constant rate.
    """

    def __init__(
        self,
        num_classes: int,
        class_weights: list[float] | None = None,
        backbone: str = "small_cnn",
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        super().__init__(weighted_cross_entropy(class_weights), accuracy_and_f1(num_classes), optimizer, scheduler)
        self.save_hyperparameters()
        # Channels-last weights: convolutions run in the layout GPU tensor cores (and oneDNN on CPUs) prefer.
        self.network = build_backbone(backbone, num_classes).to(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)

    def predict_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        images, _ = batch
        return self(images).softmax(dim=-1)
