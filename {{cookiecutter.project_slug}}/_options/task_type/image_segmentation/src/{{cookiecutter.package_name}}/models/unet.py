"""A small U-Net: an encoder that halves the resolution, a decoder that restores it with skip connections."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F


def conv_block(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    """Two 3x3 convolutions, each with batch norm and ReLU; the first one strided by `stride`."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Map (N, in_channels, H, W) images to (N, num_classes, H, W) logits, for any H and W.

    Args:
        in_channels: Channels of the input images.
        num_classes: Output channels, one per class.
        base_channels: Channels of the first level; each of the `depth` levels below doubles them.
        depth: Times the encoder halves the resolution after the first level.
        stem_stride: Stride of the first convolution. 2 runs the network at half the input's
            resolution, four times cheaper, and upsamples its logits (bilinear) to the input's size;
            1 keeps the full resolution.
    """

    def __init__(
        self, in_channels: int, num_classes: int, base_channels: int = 16, depth: int = 3, stem_stride: int = 2
    ) -> None:
        super().__init__()
        if min(depth, base_channels, stem_stride) < 1:
            raise ValueError(
                f"depth={depth}, base_channels={base_channels} and stem_stride={stem_stride} must each be at least 1."
            )
        channels = [base_channels * 2**level for level in range(depth + 1)]
        self.encoder = nn.ModuleList([conv_block(in_channels, channels[0], stride=stem_stride)])
        self.encoder.extend(conv_block(before, after) for before, after in pairwise(channels))
        self.pool = nn.MaxPool2d(2)
        self.decoder = nn.ModuleList(
            conv_block(channels[level + 1] + channels[level], channels[level]) for level in reversed(range(depth))
        )
        self.head = nn.Conv2d(channels[0], num_classes, kernel_size=1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        skips = []
        features = images
        for level, block in enumerate(self.encoder):
            if level:
                features = self.pool(features)
            features = block(features)
            skips.append(features)
        for block, skip in zip(self.decoder, reversed(skips[:-1]), strict=True):
            # Upsample to the skip's own size: odd sizes lose a row or column when pooled.
            features = F.interpolate(features, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            features = block(torch.cat([features, skip], dim=1))
        logits = self.head(features)
        if logits.shape[-2:] != images.shape[-2:]:
            logits = F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return logits
