"""A small U-Net: an encoder that halves the resolution, a decoder that restores it with skip connections."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .weights import TIMM_PREFIX, load_all_but_head, read_state_dict, timm_pretrained


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


class UNetDecoder(nn.Module):
    """From an encoder's features at each level (`channels[level]` channels, the resolution halving
    from one level to the next), back up: the deepest upsampled to the level above, joined to that
    level's own features, convolved, and so on; then one logit per class at the first level,
    upsampled to the images' size.
    """

    def __init__(self, channels: list[int], num_classes: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            conv_block(channels[level + 1] + channels[level], channels[level])
            for level in reversed(range(len(channels) - 1))
        )
        self.head = nn.Conv2d(channels[0], num_classes, kernel_size=1)

    def forward(self, skips: list[torch.Tensor], size: torch.Size) -> torch.Tensor:
        features = skips[-1]
        for block, skip in zip(self.blocks, reversed(skips[:-1]), strict=True):
            # Upsample to the skip's own size: odd sizes lose a row or column when pooled.
            features = F.interpolate(features, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            features = block(torch.cat([features, skip], dim=1))
        logits = self.head(features)
        if logits.shape[-2:] != size:
            logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        return logits


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
        self.decoder = UNetDecoder(channels, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        skips = []
        features = images
        for level, block in enumerate(self.encoder):
            if level:
                features = self.pool(features)
            features = block(features)
            skips.append(features)
        return self.decoder(skips, images.shape[-2:])


class PretrainedUNet(nn.Module):
    """A U-Net whose encoder is a timm model's feature extractor (`features_only`): its features at
    each of its levels (strides 2 to 32 for a ResNet) feed the decoder.

    Args:
        encoder: The timm model's name.
        num_classes: Output channels, one per class.
    """

    def __init__(self, encoder: str, num_classes: int) -> None:
        super().__init__()
        import timm  # a second to import: only for a pretrained encoder

        if not timm.is_model(encoder):
            raise ValueError(f"Unknown encoder 'timm/{encoder}': timm has no model {encoder!r}.")
        self.encoder = timm.create_model(encoder, features_only=True, pretrained=False)
        self.decoder = UNetDecoder(self.encoder.feature_info.channels(), num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(images), images.shape[-2:])


ACCEPTED = (
    "pretrained takes, with encoder: timm/<name>, true (timm's default weights of that model) or the path of a "
    "local state dict of its architecture (.pt, .pth or .safetensors; a classifier's, whose head is skipped)"
)


def build_unet(
    num_classes: int,
    encoder: str | None,
    pretrained: bool | str | None,
    base_channels: int,
    depth: int,
    stem_stride: int,
) -> tuple[nn.Module, tuple[float, ...] | None, tuple[float, ...] | None]:
    """The U-Net of the model's options, and the normalization its pretrained weights were trained
    with (None without pretrained weights, or when a local file does not say)."""
    if encoder is None:
        if pretrained is not None and pretrained is not False:
            raise ValueError(
                f"pretrained={pretrained!r} needs a pretrained encoder (encoder: timm/<name>). {ACCEPTED}."
            )
        return UNet(3, num_classes, base_channels=base_channels, depth=depth, stem_stride=stem_stride), None, None
    if not encoder.startswith(TIMM_PREFIX):
        raise ValueError(f"encoder={encoder!r}: use timm/<a timm model name>, or null for the U-Net's own encoder.")
    network = PretrainedUNet(encoder.removeprefix(TIMM_PREFIX), num_classes)
    if pretrained is None or pretrained is False:
        return network, None, None
    if pretrained is True:
        model, source = timm_pretrained(encoder.removeprefix(TIMM_PREFIX))
        state, mean, std = model.state_dict(), tuple(model.pretrained_cfg["mean"]), tuple(model.pretrained_cfg["std"])
    else:
        state, source, mean, std = read_state_dict(Path(pretrained), ACCEPTED), pretrained, None, None
    load_all_but_head(network.encoder, state, source, f"encoder {encoder!r}", None, ACCEPTED)
    return network, mean, std
