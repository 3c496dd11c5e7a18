"""A tiny image data set for the tests: three classes of coloured noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CLASS_COLOURS = {"red": (200, 40, 40), "green": (40, 200, 40), "blue": (40, 40, 200)}
IMAGES_PER_SPLIT = {"train": 8, "val": 4, "test": 4}


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/{train,val,test}/<class>/<n>.png` and return the arguments that point
    the data module at it. The predefined layout: other split strategies read plain class folders."""
    rng = np.random.default_rng(0)
    for split, count in IMAGES_PER_SPLIT.items():
        for name, colour in CLASS_COLOURS.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for number in range(count):
                noise = rng.integers(-40, 40, size=(16, 16, 3))
                pixels = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{number}.png")
    return ["--data.data_dir", str(root)]
