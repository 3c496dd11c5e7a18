"""What the image tasks' tests send to `serve`: images as request bodies, and the bad bodies it refuses."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image


def encoded(image: Image.Image, image_format: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return base64.b64encode(buffer.getvalue()).decode()


def bad_requests() -> list[tuple[dict[str, Any], str]]:
    """Request bodies that `serve` refuses with a 4xx status, and what its message says."""
    # A small file that claims 10,000 x 10,000 pixels: more than PIL's limit, refused before decoding.
    bomb = Image.new("1", (10_000, 10_000))
    return [
        ({"picture": encoded(Image.new("RGB", (8, 8)), "PNG")}, '"image"'),
        ({"image": 42}, '"image"'),
        ({"image": "not base64!"}, "base64"),
        ({"image": base64.b64encode(b"GIF89a not really").decode()}, "Cannot read"),
        ({"image": encoded(bomb, "PNG")}, "pixels"),
    ]
