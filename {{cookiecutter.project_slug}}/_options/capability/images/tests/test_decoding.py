"""One decoder for every image a user has: turned by EXIF, 16-bit, transparent, CMYK, palette,
greyscale; the same pixels from a file, its bytes, a PIL image or an array; hidden files never listed;
files that do not decode told apart from those that do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from {{ cookiecutter.package_name }}.data.images import (
    BACKGROUND,
    decode_image,
    files_by_name,
    oriented_size,
    read_image,
    readable_images,
)

from .messy_images import HEIGHT, MODES, WIDTH, write_messy_images


@pytest.fixture
def messy(tmp_path: Path) -> dict[str, Path]:
    files = write_messy_images(tmp_path / "messy")
    for name, path in files.items():
        with Image.open(path) as image:
            assert image.mode in MODES[name], (name, image.mode)
    return files


def pixels(path: Path) -> np.ndarray:
    """The decoded image, height x width x 3, uint8."""
    image = decode_image(path)
    assert image.mode == "RGB"
    return np.asarray(image)


def test_a_phone_photo_is_turned_upright_by_its_exif_orientation(messy: dict[str, Path]) -> None:
    upright = pixels(messy["exif_rotated"])
    # Stored 30 x 20, its left half black; Orientation 6 turns it a quarter clockwise: 20 x 30, top half black.
    assert upright.shape == (WIDTH, HEIGHT, 3)
    assert oriented_size(messy["exif_rotated"]) == (HEIGHT, WIDTH)
    top, bottom = upright[: WIDTH // 2 - 2].mean(), upright[WIDTH // 2 + 2 :].mean()
    assert top < 20 and bottom > 235, (top, bottom)
    # Resized to a square, the model's input keeps the turn: dark above, light below, alike left and right.
    square = read_image(messy["exif_rotated"], 16).float()
    assert square[:, :6].mean() < 30 < 225 < square[:, 10:].mean()
    assert abs(square[:, :, :8].mean() - square[:, :, 8:].mean()) < 10


def test_a_16_bit_image_is_stretched_over_its_range_not_clipped_to_white(messy: dict[str, Path]) -> None:
    grey = pixels(messy["grey16"])
    assert grey.min() == 0 and grey.max() == 255
    row = grey[0, :, 0].astype(int)
    assert (np.diff(row) >= 0).all() and len(set(row.tolist())) == WIDTH  # a ramp, every step kept
    # 16-bit values v over [0, 61423]: floor(v * 255 / 61423 + 0.5)
    with Image.open(messy["grey16"]) as image:
        values = np.asarray(image, dtype=np.float64)
    np.testing.assert_array_equal(grey[..., 0], np.floor(values * 255 / values.max() + 0.5))
    # Wider and float images too; a constant one is black, not an error.
    ramp = np.linspace(-3.0, 5.0, 12, dtype=np.float32).reshape(3, 4)
    floats = np.asarray(decode_image(Image.fromarray(ramp)))
    assert floats.min() == 0 and floats.max() == 255
    assert (np.asarray(decode_image(Image.fromarray(np.full((3, 4), 7.0, dtype=np.float32)))) == 0).all()


@pytest.mark.parametrize("name", ["rgba", "grey_alpha", "palette_transparent"])
def test_transparent_pixels_become_the_documented_background(messy: dict[str, Path], name: str) -> None:
    image = pixels(messy[name])
    # The bottom half is transparent (blue underneath, for RGBA); the top half opaque.
    assert (image[HEIGHT // 2 :] == BACKGROUND).all(), image[HEIGHT // 2 :].reshape(-1, 3)[:3]
    assert not (image[: HEIGHT // 2] == BACKGROUND).all()
    assert BACKGROUND == (255, 255, 255)  # as the README and model.json say


def test_half_transparent_pixels_are_blended_with_the_background() -> None:
    blended = np.asarray(decode_image(Image.new("RGBA", (2, 2), (0, 0, 0, 128))))
    # (0 * 128 + 255 * 127 + 127) // 255 = 127
    assert (blended == 127).all()


def test_cmyk_palette_and_greyscale_become_rgb(messy: dict[str, Path]) -> None:
    for name in ("cmyk", "palette", "grey"):
        image = pixels(messy[name])
        assert image.shape == (HEIGHT, WIDTH, 3)
    # Drawn from the same greenish noise: CMYK and palette keep the colour, greyscale its brightness.
    assert pixels(messy["cmyk"])[..., 1].mean() > pixels(messy["cmyk"])[..., 0].mean() + 60
    assert pixels(messy["palette"])[..., 1].mean() > pixels(messy["palette"])[..., 0].mean() + 60
    grey = pixels(messy["grey"])
    assert (grey[..., 0] == grey[..., 1]).all() and 60 < grey.mean() < 160


def test_a_file_its_bytes_its_pil_image_and_its_pixels_read_alike(messy: dict[str, Path]) -> None:
    for name, path in messy.items():
        expected = read_image(path, 12)
        assert expected.shape == (3, 12, 12) and expected.dtype == torch.uint8
        with Image.open(path) as image:
            torch.testing.assert_close(read_image(image, 12), expected, msg=name)
            assert Image.open(path).mode == image.mode  # the caller's image is not changed
        torch.testing.assert_close(read_image(path.read_bytes(), 12), expected, msg=name)
        torch.testing.assert_close(read_image(str(path), 12), expected, msg=name)
    array = np.asarray(Image.open(messy["rgba"]))
    torch.testing.assert_close(read_image(array, 12), read_image(messy["rgba"], 12))


def test_hidden_files_and_folders_are_never_listed(tmp_path: Path) -> None:
    for name in ("cat/1.png", "cat/._1.png", ".DS_Store", "cat/.ipynb_checkpoints/1.png", ".hidden/dog/2.png"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4)).save(path, format="PNG")
    assert list(files_by_name(tmp_path)) == ["cat/1.png"]


def test_files_that_do_not_decode_are_told_apart_with_why(messy: dict[str, Path], tmp_path: Path) -> None:
    text = tmp_path / "x.jpg"
    text.write_text("not an image")
    # Cut short, as an interrupted copy leaves them: their headers whole, their pixels not.
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    cut = []
    for name in ("cut.png", "cut.jpg"):
        noise.save(tmp_path / name)
        data = (tmp_path / name).read_bytes()
        (tmp_path / name).write_bytes(data[: len(data) * 2 // 3])
        cut.append(tmp_path / name)
    files = [messy["rgba"], text, messy["exif_rotated"], *cut, messy["cmyk"]]
    readable, unreadable = readable_images(files)
    assert readable == [messy["rgba"], messy["exif_rotated"], messy["cmyk"]]
    assert [path for path, _ in unreadable] == [text, *cut]
    assert "Cannot read it as an image" in unreadable[0][1]
    assert all("truncated" in why for _, why in unreadable[1:]), unreadable
