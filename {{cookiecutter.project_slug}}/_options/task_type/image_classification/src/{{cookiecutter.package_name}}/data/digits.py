"""The bundled default data set: scikit-learn's handwritten digits as PNG files.

scikit-learn ships the 1,797 8x8 digit images, so no download is needed. They are
written, upscaled, as an ImageFolder tree split 70/15/15 (stratified):
`<root>/{train,val,test}/<digit>/<index>.png`. Every strategy reads the class
from the folder under the split folder; only the predefined split uses the split folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from .atomic import write_folder

IMAGE_SIZE = 32


def write_digits(root: Path) -> None:
    """Write the digits under `root` unless they are already there (idempotent, atomic)."""
    write_folder(root, fill_digits)


def fill_digits(folder: Path) -> None:
    digits = load_digits()
    positions = np.arange(len(digits.target))
    train, rest = train_test_split(positions, test_size=0.3, random_state=0, stratify=digits.target)
    val, test = train_test_split(rest, test_size=0.5, random_state=0, stratify=digits.target[rest])
    for split, members in (("train", train), ("val", val), ("test", test)):
        for index in members:
            class_folder = folder / split / str(digits.target[index])
            class_folder.mkdir(parents=True, exist_ok=True)
            pixels = (digits.images[index] * (255 / 16)).astype(np.uint8)
            image = Image.fromarray(pixels).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
            image.save(class_folder / f"{index:04d}.png")
