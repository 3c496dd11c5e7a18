"""Image files: which files are images, and how any image becomes the model's input.

`decode_image` is the one place where an image is decoded, and `read_image` the one where it is
resized, for training (into the cache or at every epoch), for `predict`, for the Python API, for
`serve` and for the figures that show inputs; `DECODING` says in words what they do, for
`model.json`. In order:

1. the EXIF orientation is applied (`PIL.ImageOps.exif_transpose`): a phone photo taken upright
   is upright;
2. an image of more than 8 bits per pixel (modes `I;16`, `I;16B`, `I;16L`, `I;16N`, `I`, `F`: 16-bit
   PNG and TIFF, 32-bit and float TIFF) is stretched over its own range to 8 bits, its smallest value
   to 0 and its largest to 255 (`(v - min) * 255 / (max - min)`, rounded half up; a constant image is
   0): a 12-bit scan in a 16-bit file is not left nearly black, a 16-bit one not clipped to white
   (each image on its own: how bright one is beside another is not kept);
3. an image with transparency (an alpha channel: RGBA, LA, PA; or a transparent colour: a palette
   or a greyscale or RGB PNG with one) is composited onto white (`BACKGROUND`):
   `(c * a + 255 * (255 - a) + 127) // 255` per channel, with Pillow's RGBA conversion's channels;
4. any other image is converted to RGB by Pillow (`Image.convert("RGB")`: CMYK, palette,
   greyscale, 1-bit), with no colour profile applied;
5. `read_image` resizes it to `size` x `size` with Pillow's `Image.resize((size, size),
   Image.Resampling.BILINEAR)`: a triangle filter that, when it shrinks, widens to the scale
   factor (it antialiases, as torchvision's `resize(antialias=True)` does and OpenCV's
   `INTER_LINEAR` does not).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .cache import map_files

IMAGE_SUFFIXES = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
# What `read_image` takes: a file, its bytes, a decoded image, or an array of pixels
# (height x width, or height x width x channels, uint8).
ImageSource = str | Path | bytes | Image.Image | np.ndarray
# What transparent pixels become: white, as a transparent picture shows on a page or in a browser.
BACKGROUND = (255, 255, 255)
# Modes of more than 8 bits per pixel, stretched over each image's range to 8 bits.
HIGH_BIT_DEPTH_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})
# Modes with an alpha channel; any mode with a transparent colour (`info["transparency"]`) is composited too.
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})
RESAMPLING = Image.Resampling.BILINEAR
SHOWN = 5  # files named in one message


def named(culprits: Sequence[Any]) -> str:
    """The first few of `culprits` (files, classes), and how many there are in all."""
    shown = ", ".join(str(culprit) for culprit in culprits[:SHOWN])
    return shown if len(culprits) <= SHOWN else f"{shown}, ... ({len(culprits)} in all)"


def hidden(name: str) -> bool:
    """A hidden file or folder (`.DS_Store`, `._photo.jpg` of macOS, `.ipynb_checkpoints`, `.git`):
    never a sample nor a class."""
    return name.startswith(".")


def files_by_name(folder: Path, suffixes: frozenset[str] = IMAGE_SUFFIXES) -> dict[str, Path]:
    """The files under `folder` with one of `suffixes` (any case), at any depth (linked folders
    included), by their path in `folder` ("cat/1.png"), in the order of their paths; hidden files
    and whatever hidden folders hold are left out. Read from the folders' listings alone: no file is
    opened or stat-ed, and names are built once per folder."""
    found = {}
    for parent, folders, names in os.walk(folder, followlinks=True):
        folders[:] = [name for name in folders if not hidden(name)]  # os.walk does not go into those removed
        prefix = Path(parent).relative_to(folder).as_posix() + "/"
        for name in names:
            if not hidden(name) and os.path.splitext(name)[1].lower() in suffixes:
                found[prefix.removeprefix("./") + name] = Path(parent, name)
    return {name: found[name] for name in sorted(found, key=lambda name: name.split("/"))}


def image_files(folder: Path) -> list[Path]:
    """The image files under `folder`, at any depth, in the order of their paths (hidden ones left out)."""
    return list(files_by_name(folder).values())


def open_image(source: ImageSource) -> Image.Image:
    """The image of `source`, its header read but its pixels not yet decoded.

    Refuses, before decoding, an image of more pixels than `PIL.Image.MAX_IMAGE_PIXELS`
    (about 89 million; set it to allow more): a small file can claim enough pixels to fill the memory.
    """
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        if source.dtype != np.uint8 or source.ndim not in (2, 3):
            raise ValueError(
                f"An image array must be uint8, height x width or height x width x channels; "
                f"got {source.dtype} of shape {source.shape}."
            )
        return Image.fromarray(source)
    name = "the image bytes" if isinstance(source, bytes) else str(source)
    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except UnidentifiedImageError:  # its message names the file object, not the file
        raise ValueError(f"Cannot read {name} as an image: expected an image file (PNG, JPEG, WebP, ...).") from None
    except (OSError, Image.DecompressionBombError) as error:
        raise ValueError(f"Cannot read {name} as an image: {error}") from error
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise ValueError(
            f"{name} is {image.width}x{image.height} pixels, more than the {limit} "
            "that PIL.Image.MAX_IMAGE_PIXELS allows."
        )
    return image


def stretch_to_8_bits(image: Image.Image) -> Image.Image:
    """A greyscale image of more than 8 bits per pixel, stretched over its own range to 8 bits
    (mode L): its smallest value becomes 0, its largest 255, rounded half up; a constant image is 0."""
    values = np.asarray(image, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    if high > low:
        scaled = np.floor((np.nan_to_num(values, nan=low, posinf=high, neginf=low) - low) * (255 / (high - low)) + 0.5)
    else:
        scaled = np.zeros(values.shape)
    return Image.fromarray(scaled.astype(np.uint8))


def composite(image: Image.Image, background: tuple[int, int, int] = BACKGROUND) -> Image.Image:
    """An image with transparency, converted to RGBA by Pillow and laid over an opaque `background`:
    `(c * a + b * (255 - a) + 127) // 255` per channel, in integers (exact, whatever the library)."""
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint32)
    alpha = rgba[..., 3:]
    mixed = (rgba[..., :3] * alpha + np.array(background, dtype=np.uint32) * (255 - alpha) + 127) // 255
    return Image.fromarray(mixed.astype(np.uint8))


def to_rgb(image: Image.Image) -> Image.Image:
    """Steps 2 to 4 of the module's docstring: an oriented image, of any mode, as 8-bit RGB."""
    if image.mode in HIGH_BIT_DEPTH_MODES:
        image = stretch_to_8_bits(image)
    if image.mode in ALPHA_MODES or "transparency" in image.info:
        return composite(image)
    return image if image.mode == "RGB" else image.convert("RGB")


def orientation(image: Image.Image) -> int:
    """The image's EXIF orientation (1 to 8; 1: as stored)."""
    return image.getexif().get(ExifTags.Base.Orientation, 1)


def decode_image(source: ImageSource) -> Image.Image:
    """The image of `source`, oriented and in RGB (8 bits per channel), at its own size: the steps
    of the module's docstring but the resize. A decoding error is a ValueError naming the file."""
    image = open_image(source)
    opened = image is not source
    try:
        image.load()
        oriented = ImageOps.exif_transpose(image) if orientation(image) != 1 else image
        decoded = to_rgb(oriented)
    except (OSError, SyntaxError) as error:  # truncated or corrupt data, found while decoding
        if opened:
            image.close()
        name = getattr(image, "filename", "") or (source if isinstance(source, (str, Path)) else "the image")
        raise ValueError(f"Cannot decode {name}: {error}") from error
    if opened and decoded is image:
        # Pillow closed the file after loading a single frame; a file of several (GIF, TIFF) is still open.
        if getattr(image, "fp", None) is None:
            return decoded
        decoded = image.copy()
    if opened:
        image.close()
    return decoded


def resize(image: Image.Image, size: int) -> torch.Tensor:
    """An RGB image resized to `size` x `size` (step 5): a uint8 (3, size, size) tensor."""
    pixels = image.resize((size, size), RESAMPLING)
    return torch.from_numpy(np.asarray(pixels).transpose(2, 0, 1).copy())


def read_image(source: ImageSource, size: int) -> torch.Tensor:
    """The image of `source`, decoded (`decode_image`) and resized to `size` x `size`: a uint8
    (3, size, size) tensor, as the model takes it."""
    return resize(decode_image(source), size)


def oriented_size(path: Path) -> tuple[int, int]:
    """The image's (width, height) as `decode_image` gives it: its EXIF orientation applied."""
    with open_image(path) as image:
        width, height = image.size
        # Orientations 5 to 8 turn the image a quarter: width and height swap.
        return (height, width) if orientation(image) in (5, 6, 7, 8) else (width, height)


def check_decodes(path: Path) -> bool:
    """True if `path` decodes as `decode_image` decodes it; otherwise a ValueError naming it. A JPEG
    is decoded at an eighth of its size (`Image.draft`: every byte of it is still read, and a
    truncated file found), at a fraction of the cost."""
    image = open_image(path)
    try:
        if image.format == "JPEG":
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
        decode_image(image)
    finally:
        image.close()
    return True


def readable_images(files: Sequence[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """`files` split into those that decode (`check_decodes`), in their order, and those that do
    not, each with why: what to predict, and what to skip and list."""
    readable, unreadable = [], []
    checked = map_files(check_decodes, [(path,) for path in files], f"Checking {len(files):,} images")
    for path, result in zip(files, checked, strict=True):
        if isinstance(result, ValueError):
            unreadable.append((path, str(result).replace(str(path), "it")))
        else:
            readable.append(path)
    return readable, unreadable


# What `model.json` says a consumer does before the graph (see `ImageModel.input_info`).
DECODING = {
    "library": "Pillow (PIL), as the project decodes and resizes with it",
    "orientation": "PIL.ImageOps.exif_transpose(image): the EXIF Orientation tag is applied first",
    "high_bit_depth": {
        "modes": sorted(HIGH_BIT_DEPTH_MODES),
        "rule": "stretched over the image's own range to 8-bit greyscale: "
        "floor((v - min) * 255 / (max - min) + 0.5), min and max over the image's finite values; "
        "a constant image becomes 0; the result (mode L) then goes on as any other image",
    },
    "transparency": {
        "modes": sorted(ALPHA_MODES),
        "also": 'any image whose PIL info holds "transparency" (palette, greyscale or RGB with a transparent colour)',
        "background": list(BACKGROUND),
        "rule": "image.convert('RGBA'), then per channel (c * a + background * (255 - a) + 127) // 255 in integers",
    },
    "other_modes": "image.convert('RGB') (CMYK, palette, greyscale, 1-bit; no colour profile applied)",
}
