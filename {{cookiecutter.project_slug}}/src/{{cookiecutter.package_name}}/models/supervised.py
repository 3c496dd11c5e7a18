"""What every task's model shares: the loss and metrics steps, the optimizer from the config."""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.utilities.types import OptimizerLRSchedulerConfig
from torch import nn
from torchmetrics import MetricCollection


class SupervisedModule(LightningModule):
    """Train on `loss(self(inputs), targets)` and evaluate with torchmetrics.

    Logs `train/loss`, `val/loss`, `test/loss` and every metric as `val/<name>` and
    `test/<name>`. Subclasses build their layers in `__init__`, call
    `save_hyperparameters()` and define `forward` and `predict_step`.

    Args:
        loss: Takes the model's outputs and the batch's targets.
        metrics: Torchmetrics updated with the outputs and targets; cloned for val and test.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: Builds the learning-rate scheduler from the optimizer; None for a constant rate.
    """

    def __init__(
        self,
        loss: nn.Module,
        metrics: MetricCollection,
        optimizer: OptimizerCallable,
        scheduler: LRSchedulerCallable | None,
    ) -> None:
        super().__init__()
        self.loss = loss
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self.optimizer = optimizer
        self.scheduler = scheduler

    def training_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(self(inputs), targets)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test", self.test_metrics)

    def _evaluate(self, batch: tuple[Any, torch.Tensor], stage: str, metrics: MetricCollection) -> None:
        inputs, targets = batch
        outputs = self(inputs)
        # Validation figures show in the progress bar; test figures in the final table.
        self.log(f"{stage}/loss", self.loss(outputs, targets), prog_bar=stage == "val", sync_dist=True)
        metrics.update(outputs, targets)
        self.log_dict(metrics, prog_bar=stage == "val")

    def configure_optimizers(self) -> OptimizerLRSchedulerConfig | torch.optim.Optimizer:
        optimizer = self.optimizer(self.parameters())
        if self.scheduler is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler(optimizer)}
