"""Networks that map an image batch to class logits."""

from __future__ import annotations

from torch import nn
from torchvision import models


def small_cnn(num_classes: int) -> nn.Module:
    """A three-block CNN: quick on a CPU, right for small images such as the digits."""

    def block(in_channels: int, out_channels: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )

    return nn.Sequential(
        block(3, 32),
        block(32, 64),
        block(64, 128),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(128, num_classes),
    )


def build_backbone(name: str, num_classes: int) -> nn.Module:
    """`small_cnn`, or any torchvision classification model by name (e.g. `resnet18`),
    built without pretrained weights: nothing is downloaded."""
    if name == "small_cnn":
        return small_cnn(num_classes)
    available = models.list_models(module=models)
    if name not in available:
        raise ValueError(
            f"Unknown backbone {name!r}: use 'small_cnn' or a torchvision model, one of {', '.join(available)}."
        )
    return models.get_model(name, weights=None, num_classes=num_classes)
