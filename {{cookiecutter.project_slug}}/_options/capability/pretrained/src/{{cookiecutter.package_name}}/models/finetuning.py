"""Fine-tuning pretrained weights: the head trains alone for the first epochs, then the whole network."""

from __future__ import annotations

from collections.abc import Callable

from lightning.pytorch import Callback, LightningModule, Trainer
from torch import nn


class FreezeBackbone(Callback):
    """Keep the backbone's weights and BatchNorm statistics as they are for the first `epochs`
    epochs (no gradient, eval mode), so that the new head first learns from the pretrained
    features; then train everything.

    A plain callback rather than Lightning's BackboneFinetuning, which adds the backbone to the
    optimizer when it unfreezes it and, on resume, puts back the learning rates of the epoch that
    started the run: here the optimizer holds the backbone from the start (its own learning rate,
    in its own parameter group) and a frozen parameter, without a gradient, is left alone by it.

    Args:
        epochs: Epochs the backbone stays frozen.
        backbone: The model's backbone modules (everything but the head).
    """

    def __init__(self, epochs: int, backbone: Callable[[], list[nn.Module]]) -> None:
        self.epochs = epochs
        self.backbone = backbone

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Also here: a run resumed in the middle of an epoch starts no epoch.
        self.on_train_epoch_start(trainer, pl_module)

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        trainable = trainer.current_epoch >= self.epochs
        for module in self.backbone():
            module.requires_grad_(trainable)
            module.train(trainable)
