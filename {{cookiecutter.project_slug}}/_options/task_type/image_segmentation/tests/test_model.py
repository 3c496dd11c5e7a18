"""The segmentation model: logits the size of the input, pixels in, class-weighted loss, ignored
pixels, answers with masks at each image's own size."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from {{ cookiecutter.package_name }}.models import SegmentationModel

from .tiny_data import decoded_mask

CLASSES = ["background", "a", "b", "c"]


def tiny_model(classes: list[str] = CLASSES, **settings: object) -> SegmentationModel:
    return SegmentationModel(classes, image_size=16, base_channels=4, depth=1, **settings).eval()


@pytest.mark.parametrize("stem_stride", [1, 2])
@pytest.mark.parametrize(("height", "width"), [(32, 32), (37, 45)])
def test_logits_have_one_channel_per_class_at_the_input_size(stem_stride: int, height: int, width: int) -> None:
    model = SegmentationModel(CLASSES, image_size=32, base_channels=4, depth=2, stem_stride=stem_stride)
    assert model(torch.randn(2, 3, height, width)).shape == (2, 4, height, width)


def test_uint8_pixels_and_their_scaled_floats_give_the_same_logits() -> None:
    model = tiny_model(mean=(0.4, 0.5, 0.6), std=(0.2, 0.3, 0.4))
    pixels = torch.randint(0, 256, (2, 3, 16, 16), dtype=torch.uint8)
    with torch.no_grad():
        torch.testing.assert_close(model(pixels), model(pixels.float() / 255))


def test_bad_network_size_is_named() -> None:
    with pytest.raises(ValueError, match="depth=0"):
        SegmentationModel(CLASSES, image_size=16, depth=0)


def test_class_weights_and_ignore_index_shape_the_loss_unless_turned_off() -> None:
    model = SegmentationModel(["a", "b"], image_size=16, class_weights=[1.0, 3.0], ignore_index=9)
    assert model.loss.weight.tolist() == [1.0, 3.0]
    assert model.loss.ignore_index == 9
    assert "loss.weight" in model.state_dict()
    unweighted = SegmentationModel(["a", "b"], image_size=16, class_weights=[1.0, 3.0], balance_classes=False)
    assert unweighted.loss.weight is None


def test_ignored_pixels_count_in_neither_loss_nor_metrics() -> None:
    model = SegmentationModel(CLASSES[:3], image_size=8, ignore_index=255)
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


def test_read_input_keeps_the_images_own_size() -> None:
    sample = tiny_model().read_input(np.zeros((12, 40, 3), dtype=np.uint8))
    assert sample["images"].shape == (3, 16, 16)
    assert sample["images"].dtype == torch.uint8
    assert sample["size"].tolist() == [12, 40]


def test_answers_give_each_images_mask_at_its_own_size_and_the_mean_confidence() -> None:
    model = tiny_model()
    torch.manual_seed(0)
    probabilities = torch.rand(2, 4, 16, 16).softmax(dim=1)
    answers = model.answers(probabilities, {"size": torch.tensor([[16, 16], [12, 40]])})
    json.dumps(answers)  # what serve sends
    confidence, classes = probabilities.max(dim=1)
    for answer, best, mean, size in zip(
        answers, classes, confidence.mean(dim=(1, 2)), [(16, 16), (40, 12)], strict=True
    ):
        assert answer["classes"] == CLASSES
        assert answer["confidence"] == pytest.approx(mean.item())
        mask = decoded_mask(answer)
        expected = Image.fromarray(best.numpy().astype(np.uint8)).resize(size, Image.Resampling.NEAREST)
        np.testing.assert_array_equal(mask, np.asarray(expected))
    assert decoded_mask(answers[1]).shape == (12, 40)


def test_more_than_256_classes_give_16_bit_masks() -> None:
    classes = [f"class_{index}" for index in range(300)]
    probabilities = torch.zeros(1, 300, 16, 16)
    probabilities[:, 299] = 1
    (answer,) = tiny_model(classes).answers(probabilities, {"size": torch.tensor([[4, 4]])})
    assert (decoded_mask(answer) == 299).all()


def test_predict_step_answers_as_the_python_api() -> None:
    model = tiny_model()
    pixels = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    batch = model.collate([model.read_input(pixels)])
    with torch.inference_mode():
        assert model.predict_step(batch, 0) == model.predict([pixels])


def test_export_info_describes_the_probabilities_and_the_resize_back() -> None:
    info = tiny_model().export_info()
    assert info["classes"] == CLASSES
    assert info["inputs"][0]["shape"] == ["batch", 3, 16, 16]
    (output,) = info["outputs"]
    assert output["shape"] == ["batch", 4, 16, 16]
    assert any("nearest" in step for step in output["after"])
