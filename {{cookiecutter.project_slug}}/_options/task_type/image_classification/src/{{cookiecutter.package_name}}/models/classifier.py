"""The LightningModule for image classification."""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.cli import OptimizerCallable

from ..image_figures import ImageClassFigures
from .backbones import build_backbone
from .classification import accuracy_and_f1, class_answers, class_outputs, weighted_cross_entropy
from .images import ImageModel
from .supervised import Schedule


class ImageClassifier(ImageModel):
    """Classify images into `class_names` with a class-weighted cross-entropy loss.

    Args:
        class_names: The classes, in the order of the outputs (linked from the data module).
        image_size: Side of the square images it takes (linked from the data module).
        class_weights: Loss weight of each class (linked from the data module).
        balance_classes: Weigh each class's loss with `class_weights`; false: every class weighs 1.
        backbone: `small_cnn` or a torchvision model name.
        mean: Per-channel mean of the pixels (scaled to [0, 1]) that normalization subtracts.
        std: Per-channel standard deviation that normalization divides by.
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
        mean: tuple[float, float, float] = (0.5, 0.5, 0.5),
        std: tuple[float, float, float] = (0.5, 0.5, 0.5),
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: Schedule = "cosine",
    ) -> None:
        loss = weighted_cross_entropy(class_weights if balance_classes else None)
        super().__init__(loss, accuracy_and_f1(len(class_names)), optimizer, scheduler, image_size, mean, std)
        self.save_hyperparameters(logger=False)
        self.class_names = list(class_names)
        # Channels-last weights: convolutions run in the layout GPU tensor cores (and oneDNN on CPUs) prefer.
        self.network = build_backbone(backbone, len(class_names)).to(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits, (N, classes), of uint8 images or floats in [0, 1], (N, 3, size, size)."""
        return self.network(self.normalize(images))

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
