"""The image classifier: backbones by name, output shape, pixels in, class-weighted loss."""

from __future__ import annotations

import pytest
import torch

from {{ cookiecutter.package_name }}.models import ImageClassifier

CLASSES = ["a", "b", "c", "d"]


@pytest.mark.parametrize("backbone", ["small_cnn", "resnet18"])
def test_backbone_gives_one_logit_per_class(backbone: str) -> None:
    model = ImageClassifier(CLASSES, image_size=32, backbone=backbone)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 4)


def test_uint8_pixels_and_their_scaled_floats_give_the_same_logits() -> None:
    model = ImageClassifier(CLASSES, image_size=16, mean=(0.4, 0.5, 0.6), std=(0.2, 0.3, 0.4)).eval()
    pixels = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    torch.testing.assert_close(model(pixels), model(pixels.float() / 255))


def test_unknown_backbone_is_named() -> None:
    with pytest.raises(ValueError, match="Unknown backbone 'resnet-9000'"):
        ImageClassifier(CLASSES, image_size=32, backbone="resnet-9000")


def test_class_weights_weigh_the_loss_unless_turned_off() -> None:
    model = ImageClassifier(["a", "b"], image_size=32, class_weights=[1.0, 3.0])
    assert model.loss.weight.tolist() == [1.0, 3.0]
    assert "loss.weight" in model.state_dict()
    unweighted = ImageClassifier(["a", "b"], image_size=32, class_weights=[1.0, 3.0], balance_classes=False)
    assert unweighted.loss.weight is None
