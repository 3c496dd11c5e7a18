"""The LightningModule for image classification."""

from __future__ import annotations

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.utilities.types import OptimizerLRSchedulerConfig
from torch import nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from .backbones import build_backbone


class ImageClassifier(LightningModule):
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
        super().__init__()
        self.save_hyperparameters()
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.network = build_backbone(backbone, num_classes)
        weight = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
        self.loss = nn.CrossEntropyLoss(weight=weight)
        metrics = MetricCollection(
            {
                "acc": MulticlassAccuracy(num_classes=num_classes, average="micro"),
                "f1_macro": MulticlassF1Score(num_classes=num_classes, average="macro"),
            }
        )
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        images, labels = batch
        loss = self.loss(self(images), labels)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        images, labels = batch
        logits = self(images)
        self.log("val/loss", self.loss(logits, labels), prog_bar=True, sync_dist=True)
        self.val_metrics.update(logits, labels)
        self.log_dict(self.val_metrics, prog_bar=True)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        images, labels = batch
        logits = self(images)
        self.log("test/loss", self.loss(logits, labels), sync_dist=True)
        self.test_metrics.update(logits, labels)
        self.log_dict(self.test_metrics)

    def predict_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        images, _ = batch
        return self(images).softmax(dim=-1)

    def configure_optimizers(self) -> OptimizerLRSchedulerConfig | torch.optim.Optimizer:
        optimizer = self.optimizer(self.parameters())
        if self.scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler(optimizer)}
