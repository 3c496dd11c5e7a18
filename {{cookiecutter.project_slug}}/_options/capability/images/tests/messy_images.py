"""Images as users have them, made with Pillow: one file of each mode and orientation that a
folder of real images mixes (CMYK JPEG, palette, greyscale, 16-bit, alpha, a phone photo turned
by EXIF), each drawn so that a wrong decoding shows: what hides under transparent pixels is blue,
the 16-bit values fill its range, the photo's stored left half is dark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 30, 20  # as stored: landscape
HIDDEN_COLOUR = (0, 0, 255)  # under the transparent pixels; they must come out white
EXIF_ORIENTATION = 0x0112


def top_opaque_rgba(width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """Red on its top half, transparent blue on its bottom half."""
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    pixels[..., :3] = HIDDEN_COLOUR
    pixels[: height // 2] = (200, 30, 30, 255)
    return Image.fromarray(pixels)


def sixteen_bit(width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """A 16-bit greyscale ramp from 0 to 61,423, left to right (as a scanner writes them)."""
    ramp = np.linspace(0, 61_423, width).round().astype(np.uint16)
    return Image.fromarray(np.tile(ramp, (height, 1)))


def turned_photo(width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """A landscape photo whose stored left half is black and right half white, tagged EXIF
    Orientation 6: shown upright, it is a portrait whose top half is black."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, width // 2 :] = 255
    image = Image.fromarray(pixels)
    image.getexif()[EXIF_ORIENTATION] = 6
    return image


def write_messy_images(folder: Path, tint: tuple[int, int, int] = (40, 160, 90)) -> dict[str, Path]:
    """One image of each mode and orientation in `folder`, by what it is."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(sum(tint))
    noise = np.clip(np.array(tint) + rng.integers(-30, 30, (HEIGHT, WIDTH, 3)), 0, 255).astype(np.uint8)
    rgb = Image.fromarray(noise)
    files = {name: folder / file_name for name, file_name in FILE_NAMES.items()}
    rgb.convert("CMYK").save(files["cmyk"], quality=95)
    rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(files["palette"])
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    indices = np.array(palette)
    indices[HEIGHT // 2 :] = 15  # the bottom half in the palette's last colour, made transparent
    transparent = Image.frombytes("P", (WIDTH, HEIGHT), indices.tobytes())
    transparent.putpalette(palette.getpalette()[:45] + list(HIDDEN_COLOUR))
    transparent.save(files["palette_transparent"], transparency=15)
    rgb.convert("L").save(files["grey"])
    sixteen_bit().save(files["grey16"])
    top_opaque_rgba().save(files["rgba"])
    grey_alpha = np.zeros((HEIGHT, WIDTH, 2), dtype=np.uint8)
    grey_alpha[: HEIGHT // 2] = (60, 255)
    Image.fromarray(grey_alpha).save(files["grey_alpha"])
    photo = turned_photo()
    photo.save(files["exif_rotated"], exif=photo.getexif().tobytes(), quality=95)
    return files


FILE_NAMES = {
    "cmyk": "cmyk.jpg",
    "palette": "palette.png",
    "palette_transparent": "palette_transparent.png",
    "grey": "grey.png",
    "grey16": "grey16.png",
    "rgba": "rgba.png",
    "grey_alpha": "grey_alpha.png",
    "exif_rotated": "exif_rotated.jpg",
}
# The modes each file may open in (checked, so that the test holds what it says): some Pillow
# versions open a 16-bit greyscale PNG as I (32-bit), others as I;16.
MODES = {
    "cmyk": {"CMYK"},
    "palette": {"P"},
    "palette_transparent": {"P"},
    "grey": {"L"},
    "grey16": {"I;16", "I"},
    "rgba": {"RGBA"},
    "grey_alpha": {"LA"},
    "exif_rotated": {"RGB"},
}
