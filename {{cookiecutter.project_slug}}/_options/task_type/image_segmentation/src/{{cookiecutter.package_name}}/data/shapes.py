"""The bundled default data set: shapes drawn on textured, noisy backgrounds, with their masks.

Each 64x64 image holds one to three shapes of random size, place and rotation on a
muted, blotchy background with pixel noise. Each class has its own range of colours
(reds for circles, greens for squares, blues for triangles, of random shade), so that a
small network learns the task within a minute on a CPU. The mask gives every pixel's
class: 0 background, 1 circle, 2 square, 3 triangle, and 255 (the ignore index) where a
shape's antialiased edge covers a pixel only in part.
Nothing is downloaded: the shapes are drawn with a fixed seed, so every run writes
the same files, split 70/15/15 in folders:
`<root>/{train,val,test}/{images,masks}/<n>.png`. Every strategy pairs images with
masks by file name; only the predefined split uses the first folder.
"""

from __future__ import annotations

import colorsys
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .atomic import write_folder

CLASS_NAMES = ("background", "circle", "square", "triangle")
IGNORE_INDEX = 255
IMAGE_SIZE = 64
SPLIT_SIZES = {"train": 336, "val": 72, "test": 72}
# Shapes are drawn this many times larger, then reduced: smooth edges, and each
# pixel's coverage tells whether it lies inside, outside or on an edge.
SUPERSAMPLE = 4


def shape_outline(kind: int, centre: tuple[float, float], radius: float, angle: float) -> list[tuple[float, float]]:
    """The polygon of a square (2) or a triangle (3); a circle (1) is drawn as an ellipse."""
    corners = 4 if kind == 2 else 3
    angles = [angle + 2 * math.pi * k / corners for k in range(corners)]
    return [(centre[0] + radius * math.cos(a), centre[1] + radius * math.sin(a)) for a in angles]


def textured_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Smooth, muted colour blotches: coarse random greyish colours upsampled to `size`."""
    coarse = (128 + rng.integers(-48, 48, size=(4, 4, 3))).astype(np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32)


def draw_sample(rng: np.random.Generator, size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """One RGB image (uint8, size x size x 3) and its mask of class indices (uint8, size x size)."""
    big = size * SUPERSAMPLE
    background = textured_background(rng, size).astype(np.uint8)
    canvas = Image.fromarray(background).resize((big, big), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(canvas)
    mask = np.zeros((size, size), dtype=np.uint8)
    for _ in range(rng.integers(1, 4)):
        kind = int(rng.integers(1, len(CLASS_NAMES)))
        radius = rng.uniform(0.14, 0.26) * big
        centre = (rng.uniform(radius, big - radius), rng.uniform(radius, big - radius))
        hue = (kind - 1) / 3 + rng.uniform(-0.1, 0.1)
        colour = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue % 1, rng.uniform(0.5, 1), rng.uniform(0.45, 1)))
        coverage_canvas = Image.new("L", (big, big), 0)
        coverage_draw = ImageDraw.Draw(coverage_canvas)
        if kind == 1:
            box = (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)
            draw.ellipse(box, fill=colour)
            coverage_draw.ellipse(box, fill=255)
        else:
            outline = shape_outline(kind, centre, radius, rng.uniform(0, 2 * math.pi))
            draw.polygon(outline, fill=colour)
            coverage_draw.polygon(outline, fill=255)
        coverage = np.asarray(coverage_canvas.reduce(SUPERSAMPLE))
        # Later shapes cover earlier ones; pixels a shape covers in part are left unlabelled.
        mask[coverage >= 192] = kind
        mask[(coverage > 63) & (coverage < 192)] = IGNORE_INDEX
    image = np.asarray(canvas.reduce(SUPERSAMPLE), dtype=np.float32)
    noisy = image + rng.normal(0, 12, size=image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8), mask


def write_shapes(root: Path, split_sizes: dict[str, int] | None = None, seed: int = 0) -> None:
    """Write the shapes under `root` unless they are already there (idempotent, atomic)."""

    def fill(folder: Path) -> None:
        rng = np.random.default_rng(seed)
        number = 0
        for split, count in (split_sizes or SPLIT_SIZES).items():
            for kind in ("images", "masks"):
                (folder / split / kind).mkdir(parents=True)
            for _ in range(count):
                image, mask = draw_sample(rng)
                Image.fromarray(image).save(folder / split / "images" / f"{number:04d}.png")
                Image.fromarray(mask).save(folder / split / "masks" / f"{number:04d}.png")
                number += 1

    write_folder(root, fill)
