"""The segmentation model: logits the size of the input, class-weighted loss, ignored pixels."""

from __future__ import annotations

import pytest
import torch

from {{ cookiecutter.package_name }}.models import SegmentationModel


@pytest.mark.parametrize("stem_stride", [1, 2])
@pytest.mark.parametrize(("height", "width"), [(32, 32), (37, 45)])
def test_logits_have_one_channel_per_class_at_the_input_size(stem_stride: int, height: int, width: int) -> None:
    model = SegmentationModel(num_classes=4, base_channels=4, depth=2, stem_stride=stem_stride)
    assert model(torch.randn(2, 3, height, width)).shape == (2, 4, height, width)


def test_bad_network_size_is_named() -> None:
    with pytest.raises(ValueError, match="depth=0"):
        SegmentationModel(num_classes=4, depth=0)


def test_class_weights_and_ignore_index_shape_the_loss() -> None:
    model = SegmentationModel(num_classes=2, class_weights=[1.0, 3.0], ignore_index=9)
    assert model.loss.weight.tolist() == [1.0, 3.0]
    assert model.loss.ignore_index == 9
    assert "loss.weight" in model.state_dict()


def test_ignored_pixels_count_in_neither_loss_nor_metrics() -> None:
    model = SegmentationModel(num_classes=3, ignore_index=255)
    torch.manual_seed(0)
    masks = torch.randint(0, 3, (2, 8, 8))
    masks[:, :4] = 255
    # Logits that are right on the labelled pixels and wrong on the ignored ones.
    logits = torch.nn.functional.one_hot(masks.clamp(max=2), 3).permute(0, 3, 1, 2).float() * 20
    logits[:, :, :4] = torch.tensor([0.0, 0.0, 20.0]).view(1, 3, 1, 1)
    assert model.loss(logits, masks) < 1e-6
    model.val_metrics.update(logits, masks)
    scores = model.val_metrics.compute()
    assert scores["val/iou"] == pytest.approx(1.0)
    assert scores["val/dice"] == pytest.approx(1.0)


def test_predict_step_gives_classes_and_mean_confidence() -> None:
    model = SegmentationModel(num_classes=3, base_channels=4, depth=1).eval()
    images = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        output = model.predict_step((images, torch.zeros(2, 16, 16, dtype=torch.long)), 0)
        probabilities = model(images).softmax(dim=1)
    assert output["classes"].dtype == torch.uint8
    torch.testing.assert_close(output["classes"].long(), probabilities.argmax(dim=1))
    torch.testing.assert_close(output["confidence"], probabilities.max(dim=1).values.mean(dim=(1, 2)))
