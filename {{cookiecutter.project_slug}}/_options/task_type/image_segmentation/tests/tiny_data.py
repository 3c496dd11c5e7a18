"""A tiny segmentation data set for the tests: squares of two classes on noise, in split folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

NUM_CLASSES = 3  # background, bright squares, dark squares
IGNORE_INDEX = 255
IMAGE_SIZE = 16
IMAGES_PER_SPLIT = {"train": 8, "val": 4, "test": 4}  # per dominant class
CLASS_GREY = {1: 230, 2: 20}


def tiny_sample(rng: np.random.Generator, dominant: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image and its mask: a large square of class `dominant`, a small one of the other
    class, and a row of unlabelled pixels."""
    image = rng.integers(100, 150, size=(IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.uint8)
    mask = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    other = 3 - dominant
    for kind, side in ((dominant, 7), (other, 3)):
        top, left = rng.integers(0, IMAGE_SIZE - side, size=2)
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
