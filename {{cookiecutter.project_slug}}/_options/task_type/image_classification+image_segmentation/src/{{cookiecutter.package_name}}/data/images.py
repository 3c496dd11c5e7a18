"""Image files: which files are images, and how any image becomes the model's input.

`read_image` is the one place where an image is decoded and resized, for training (into the
cache or at every epoch), for `predict`, for the Python API and for `serve`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
# What `read_image` takes: a file, its bytes, a decoded image, or an array of pixels
# (height x width, or height x width x channels, uint8).
ImageSource = str | Path | bytes | Image.Image | np.ndarray


def files_by_name(folder: Path, suffixes: frozenset[str] = IMAGE_SUFFIXES) -> dict[str, Path]:
    """The files under `folder` with one of `suffixes` (any case), at any depth (linked folders
    included), by their path in `folder` ("cat/1.png"), in the order of their paths. Read from the
    folders' listings alone: no file is opened or stat-ed, and names are built once per folder."""
    found = {}
    for parent, _, names in os.walk(folder, followlinks=True):
        prefix = Path(parent).relative_to(folder).as_posix() + "/"
        for name in names:
            if os.path.splitext(name)[1].lower() in suffixes:
                found[prefix.removeprefix("./") + name] = Path(parent, name)
    return {name: found[name] for name in sorted(found, key=lambda name: name.split("/"))}


def image_files(folder: Path) -> list[Path]:
    """The image files under `folder`, at any depth, in the order of their paths."""
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


def read_image(source: ImageSource, size: int) -> torch.Tensor:
    """The image of `source` as RGB, resized to `size` x `size`: a uint8 (3, size, size) tensor."""
    image = open_image(source)
    try:
        pixels = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    except OSError as error:  # truncated or corrupt data, found while decoding
        raise ValueError(f"Cannot decode image {getattr(image, 'filename', '') or ''}: {error}") from error
    finally:
        if image is not source:
            image.close()
    return torch.from_numpy(np.asarray(pixels).transpose(2, 0, 1).copy())
