"""The image classifier: backbones by name, output shape, class-weighted loss."""

from __future__ import annotations

import pytest
import torch

from {{ cookiecutter.package_name }}.models import ImageClassifier


@pytest.mark.parametrize("backbone", ["small_cnn", "resnet18"])
def test_backbone_gives_one_logit_per_class(backbone: str) -> None:
    model = ImageClassifier(num_classes=4, backbone=backbone)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 4)


def test_unknown_backbone_is_named() -> None:
    with pytest.raises(ValueError, match="Unknown backbone 'resnet-9000'"):
        ImageClassifier(num_classes=4, backbone="resnet-9000")


def test_class_weights_weigh_the_loss() -> None:
    model = ImageClassifier(num_classes=2, class_weights=[1.0, 3.0])
    assert model.loss.weight.tolist() == [1.0, 3.0]
    assert "loss.weight" in model.state_dict()
