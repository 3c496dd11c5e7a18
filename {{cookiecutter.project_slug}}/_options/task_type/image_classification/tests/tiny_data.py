"""A tiny image data set for the tests: three classes of coloured noise; images to predict, as
the command line, the Python API and the server take them."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from .image_requests import bad_requests as bad_requests

# What `plots.callback.Plots` draws of the test split, besides the learning curves.
TEST_FIGURES = ("confusion_matrix", "confusion_matrix_normalized", "per_class_scores", "roc_curves", "worst_images")
CLASS_COLOURS = {"red": (200, 40, 40), "green": (40, 200, 40), "blue": (40, 40, 200)}
IMAGES_PER_SPLIT = {"train": 8, "val": 4, "test": 4}


def noise_image(rng: np.random.Generator, colour: tuple[int, int, int], size: int = 16) -> Image.Image:
    noise = rng.integers(-40, 40, size=(size, size, 3))
    return Image.fromarray(np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8))


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/{train,val,test}/<class>/<n>.png` and return the arguments that point
    the data module at it. The predefined layout: other split strategies read plain class folders."""
    rng = np.random.default_rng(0)
    for split, count in IMAGES_PER_SPLIT.items():
        for name, colour in CLASS_COLOURS.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for number in range(count):
                noise_image(rng, colour).save(folder / f"{number}.png")
    return ["--data.data_dir", str(root)]


def write_predict_inputs(folder: Path) -> tuple[list[str], list[Any], list[dict[str, Any]]]:
    """Images to predict, of other sizes and formats than the training images, three ways: the
    arguments of the predict subcommand, sources for `model.predict` and request bodies for `serve`,
    in the same order."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    images = [noise_image(rng, colour, size) for colour, size in zip(CLASS_COLOURS.values(), (16, 24, 40), strict=True)]
    files = [folder / "a.png", folder / "b.jpg", folder / "c.png"]
    for image, path in zip(images, files, strict=True):
        image.save(path)
    requests = [{"image": base64.b64encode(path.read_bytes()).decode()} for path in files]
    return ["--data.predict_dir", str(folder)], [str(path) for path in files], requests


def same_prediction(row: dict[str, str], answer: dict[str, Any]) -> None:
    """A row of predictions.csv and the Python API's answer for the same image agree."""
    assert row["predicted_class"] == answer["label"]
    assert float(row["probability"]) == pytest.approx(answer["probabilities"][answer["label"]], abs=1e-5)
