"""The LightningModule for image classification."""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch import Callback
from lightning.pytorch.cli import OptimizerCallable
from torch import nn

from ..plots.image_figures import ImageClassFigures
from .backbones import build_backbone
from .classification import accuracy_and_f1, class_answers, class_outputs, weighted_cross_entropy
from .finetuning import FreezeBackbone
from .images import ImageModel
from .supervised import Schedule


class ImageClassifier(ImageModel):
    """Classify images into `class_names` with a class-weighted cross-entropy loss.

    Args:
        class_names: The classes, in the order of the outputs (linked from the data module).
        image_size: Side of the square images it takes (linked from the data module).
        class_weights: Loss weight of each class (linked from the data module).
        balance_classes: Weigh each class's loss with `class_weights`; false: every class weighs 1.
        backbone: `small_cnn`, a torchvision model name (`resnet18`) or `timm/<a timm model name>`.
        pretrained: The weights to start from: None, from scratch; a torchvision weights name
            (`DEFAULT`, `IMAGENET1K_V1`) or true (timm's default weights), downloaded once on a
            machine with a network; or the path of a local state dict of the same architecture.
            The head is replaced to fit `class_names`. A checkpoint holds the weights: loading it
            fetches nothing.
        freeze_backbone_epochs: Epochs during which only the head trains, the backbone frozen.
        backbone_lr_ratio: With pretrained weights, the backbone's learning rate is the optimizer's
            times this (the new head's is the optimizer's).
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
        balance_classes: bool = True,
        backbone: str = "small_cnn",
        pretrained: bool | str | None = None,
        freeze_backbone_epochs: int = 0,
        backbone_lr_ratio: float = 0.1,
        mean: tuple[float, float, float] | None = None,
        std: tuple[float, float, float] | None = None,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: Schedule = "cosine",
    ) -> None:
        built = build_backbone(backbone, len(class_names), pretrained)
        loss = weighted_cross_entropy(class_weights if balance_classes else None)
        super().__init__(
            loss,
            accuracy_and_f1(len(class_names)),
            optimizer,
            scheduler,
            image_size,
            mean or built.mean,
            std or built.std,
        )
        self.save_hyperparameters(logger=False)
        self.class_names = list(class_names)
        # Channels-last weights: convolutions run in the layout GPU tensor cores (and oneDNN on CPUs) prefer.
        self.network = built.network.to(memory_format=torch.channels_last)
        self.head = built.head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits, (N, classes), of uint8 images or floats in [0, 1], (N, 3, size, size)."""
        return self.network(self.normalize(images))

    def backbone_modules(self) -> list[nn.Module]:
        """The network's modules but its classifier head."""
        return [module for name, module in self.network.named_children() if name != self.head]

    def parameter_groups(self) -> list[dict[str, Any]]:
        head = list(getattr(self.network, self.head).parameters())
        backbone = [parameter for module in self.backbone_modules() for parameter in module.parameters()]
        ratio = self.hparams.backbone_lr_ratio if self.hparams.pretrained else 1.0
        return [{"params": backbone, "lr_scale": ratio}, {"params": head}]

    def configure_callbacks(self) -> list[Callback]:
        epochs = self.hparams.freeze_backbone_epochs
        return [FreezeBackbone(epochs, self.backbone_modules)] if epochs else []

    def test_figures(self) -> ImageClassFigures:
        return ImageClassFigures(self.class_names)

    def infer(self, images: torch.Tensor) -> torch.Tensor:
        return self(images).softmax(dim=-1)

    def answers(self, predictions: torch.Tensor, batch: Any = None) -> list[dict[str, Any]]:
        return class_answers(predictions, self.class_names)

    def export_info(self) -> dict[str, Any]:
        return {
            "task": "image_classification",
            "classes": self.class_names,
            "inputs": self.input_info(),
            "outputs": class_outputs(self.class_names),
        }
