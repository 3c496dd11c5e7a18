"""What the image models share: pixels in, scaled and normalized inside the model (and so inside
its exported graph), and images as the inputs of the Python API, `serve` and `export`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

import torch
from lightning.pytorch.cli import OptimizerCallable
from torch import nn
from torchmetrics import MetricCollection

from ..data.images import BACKGROUND, DECODING, RESAMPLING, ImageSource, read_image
from .supervised import Schedule, SupervisedModule


class ImageModel(SupervisedModule):
    """A model of images of `image_size` x `image_size`: uint8 (N, 3, size, size), as loaders, the
    Python API and the exported graph give them, or floats in [0, 1] (augmented training batches),
    normalized with `mean` and `std` per channel before the network.
    """

    input_names = ("images",)

    def __init__(
        self,
        loss: nn.Module,
        metrics: MetricCollection,
        optimizer: OptimizerCallable,
        scheduler: Schedule,
        image_size: int,
        mean: Sequence[float] | None,
        std: Sequence[float] | None,
    ) -> None:
        super().__init__(loss, metrics, optimizer, scheduler)
        self.image_size = image_size
        # None: 0.5 per channel (the model's own normalization, without pretrained weights to follow).
        mean, std = mean or (0.5, 0.5, 0.5), std or (0.5, 0.5, 0.5)
        # Not saved in the state dict: the hyperparameters hold them.
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """The checkpoint holds the weights and the preprocessing they were trained with: building
        its model again fetches no pretrained weights, and normalizes as this one does."""
        hyperparameters = checkpoint["hyper_parameters"]
        hyperparameters["pretrained"] = None
        hyperparameters["mean"] = tuple(self.mean.flatten().tolist())
        hyperparameters["std"] = tuple(self.std.flatten().tolist())
        checkpoint["pretrained_from"] = self.hparams.pretrained

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        if not images.is_floating_point():
            images = images.float() / 255
        return (images - self.mean) / self.std

    def read_input(self, source: ImageSource) -> dict[str, torch.Tensor]:
        """An image file (path), its bytes, a PIL image or a uint8 array, decoded and resized."""
        return {"images": read_image(source, self.image_size)}

    def parse_request(self, body: dict[str, Any]) -> bytes:
        """`{"image": "<base64 of an image file>"}` to the file's bytes."""
        value = body.get("image")
        if not isinstance(value, str):
            raise ValueError('The request needs "image": the base64 of an image file (PNG, JPEG, ...), as a string.')
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as error:
            raise ValueError(f'"image" is not valid base64: {error}') from error

    def example_inputs(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        return (torch.randint(0, 256, (batch_size, 3, self.image_size, self.image_size), dtype=torch.uint8),)

    def input_info(self) -> list[dict[str, Any]]:
        """The graph's input, and how an image file becomes it exactly as the project does it
        (`data.images`: `decoding` and `resize` to follow step by step, `before` in words)."""
        size = self.image_size
        return [
            {
                "name": "images",
                "dtype": "uint8",
                "shape": ["batch", 3, size, size],
                "before": [
                    "decode the image file with Pillow (PNG, JPEG, ...)",
                    "apply its EXIF orientation (PIL.ImageOps.exif_transpose)",
                    "stretch an image of more than 8 bits (16-bit, 32-bit, float) over its own range to 8 bits",
                    f"composite an image with transparency onto RGB {list(BACKGROUND)}",
                    "convert any other to RGB (Image.convert('RGB'))",
                    f"resize it to {size}x{size} with Pillow's Image.resize((size, size), Image.Resampling.BILINEAR): "
                    "a triangle filter that widens to the scale factor when it shrinks (antialiased), not "
                    "a plain 4-pixel bilinear interpolation",
                    "lay it out channels first (3, height, width), uint8; the graph scales and normalizes it",
                ],
                "decoding": DECODING,
                "resize": {
                    "size": [size, size],
                    "library": "Pillow",
                    "call": f"image.resize(({size}, {size}), PIL.Image.Resampling.BILINEAR)",
                    "filter": RESAMPLING.name,
                    "antialias": True,
                    "aspect_ratio": "not kept: the image is stretched to a square",
                },
                "layout": "channels first (3, height, width), RGB, uint8, batched on a first axis",
                "normalization": {
                    "in_graph": True,
                    "steps": "pixels / 255, then (x - mean) / std per channel",
                    "mean": [round(value, 6) for value in self.mean.flatten().tolist()],
                    "std": [round(value, 6) for value in self.std.flatten().tolist()],
                },
            }
        ]
