"""A tiny segmentation data set for the tests: squares of two classes on noise, in split folders;
images to predict, as the command line, the Python API and the server take them."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from .image_requests import bad_requests as bad_requests

# What `plots.callback.Plots` draws of the test split, besides the learning curves.
TEST_FIGURES = ("per_class_iou", "mask_overlays")
NUM_CLASSES = 3  # background, bright squares, dark squares
IGNORE_INDEX = 255
IMAGE_SIZE = 16
IMAGES_PER_SPLIT = {"train": 8, "val": 4, "test": 4}  # per dominant class
CLASS_GREY = {1: 230, 2: 20}


def tiny_sample(rng: np.random.Generator, dominant: int, size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image and its mask: a large square of class `dominant`, a small one of the other
    class, and a row of unlabelled pixels."""
    image = rng.integers(100, 150, size=(size, size, 3)).astype(np.uint8)
    mask = np.zeros((size, size), dtype=np.uint8)
    other = 3 - dominant
    for kind, side in ((dominant, size // 2 - 1), (other, size // 4 - 1)):
        top, left = rng.integers(0, size - side, size=2)
        image[top : top + side, left : left + side] = CLASS_GREY[kind]
        mask[top : top + side, left : left + side] = kind
    mask[-1] = IGNORE_INDEX
    return image, mask


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/{train,val,test}/{images,masks}/<class>_<n>.png` and return the arguments that
    point the data module at it. The predefined layout: other split strategies pool the folders."""
    rng = np.random.default_rng(0)
    for split, count in IMAGES_PER_SPLIT.items():
        for folder in ("images", "masks"):
            (root / split / folder).mkdir(parents=True)
        for dominant in CLASS_GREY:
            for number in range(count):
                image, mask = tiny_sample(rng, dominant)
                Image.fromarray(image).save(root / split / "images" / f"{dominant}_{number}.png")
                Image.fromarray(mask).save(root / split / "masks" / f"{dominant}_{number}.png")
    return ["--data.data_dir", str(root), "--data.image_size", str(IMAGE_SIZE)]


def write_predict_inputs(folder: Path) -> tuple[list[str], list[Any], list[dict[str, Any]]]:
    """Images to predict, of other sizes and formats than the training images, one in a subfolder,
    three ways: the arguments of the predict subcommand, sources for `model.predict` and request
    bodies for `serve`, in the same order."""
    rng = np.random.default_rng(1)
    files = [folder / "a.png", folder / "b.jpg", folder / "sub" / "c.png"]
    for path, (dominant, size) in zip(files, ((1, 16), (2, 24), (1, 40)), strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.fromarray(tiny_sample(rng, dominant, size)[0])
        # Not square: the masks come back at each image's own height and width.
        image.resize((size, size * 3 // 4)).save(path)
    requests = [{"image": base64.b64encode(path.read_bytes()).decode()} for path in files]
    return ["--data.predict_dir", str(folder)], [str(path) for path in files], requests


def decoded_mask(answer: dict[str, Any]) -> np.ndarray:
    """The class indices of an answer's mask."""
    with Image.open(io.BytesIO(base64.b64decode(answer["mask"]))) as mask:
        return np.asarray(mask)


def same_prediction(row: dict[str, str], answer: dict[str, Any]) -> None:
    """A row of predictions.csv and the Python API's answer for the same image agree: the mask file
    the row names (relative to the CSV's folder: the newest run's, as the tests predict in the
    working folder) holds the answer's mask, at the image's size."""
    predictions = max(Path("runs").rglob("predictions.csv"), key=lambda path: path.stat().st_mtime_ns)
    with Image.open(predictions.parent / row["mask"]) as written, Image.open(row["image"]) as image:
        assert written.size == image.size
        np.testing.assert_array_equal(np.asarray(written), decoded_mask(answer))
    assert float(row["mean_confidence"]) == pytest.approx(answer["confidence"], abs=1e-5)
