"""Networks that map an image batch to class logits: a small CNN, any torchvision or timm model,
from scratch or from pretrained weights, with a classifier head for the data's classes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import torch
from torch import nn
from torchvision import models

from .weights import TIMM_PREFIX, load_all_but_head, read_state_dict, timm_pretrained

ACCEPTED = (
    "pretrained takes a torchvision weights name (DEFAULT, IMAGENET1K_V1, ...) for a torchvision backbone, "
    "true for a timm backbone's default weights, or the path of a local state dict of the same architecture "
    "(.pt, .pth or .safetensors)"
)


@dataclass(frozen=True)
class Backbone:
    """A network with its classifier head for the data's classes, and what its weights came with."""

    network: nn.Module
    head: str  # the network's child module that holds the classifier head
    mean: tuple[float, ...] | None = None  # the normalization the weights were trained with, if they say
    std: tuple[float, ...] | None = None


def small_cnn(num_classes: int) -> nn.Module:
    """A three-block CNN: quick on a CPU, right for small images such as the digits."""

    def block(in_channels: int, out_channels: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )

    return nn.Sequential(
        block(3, 32),
        block(32, 64),
        block(64, 128),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(128, num_classes),
    )


def build_backbone(name: str, num_classes: int, pretrained: bool | str | None = None) -> Backbone:
    """`small_cnn`, a torchvision classification model by name (`resnet18`) or a timm model
    (`timm/resnet18`), with `num_classes` outputs; from scratch (`pretrained` None), or with the
    weights `pretrained` names (see `ACCEPTED`), all but the classifier head, which starts untrained."""
    if name == "small_cnn":
        network = small_cnn(num_classes)
    elif name.startswith(TIMM_PREFIX):
        import timm  # a second to import: only for a timm backbone

        if not timm.is_model(name.removeprefix(TIMM_PREFIX)):
            raise ValueError(f"Unknown backbone {name!r}: timm has no model {name.removeprefix(TIMM_PREFIX)!r}.")
        network = timm.create_model(name.removeprefix(TIMM_PREFIX), pretrained=False, num_classes=num_classes)
    elif name in models.list_models(module=models):
        network = models.get_model(name, weights=None, num_classes=num_classes)
    else:
        raise ValueError(
            f"Unknown backbone {name!r}: use 'small_cnn', a torchvision model "
            f"({', '.join(models.list_models(module=models))}) or timm/<a timm model>."
        )
    head = head_module(network)
    if pretrained is None or pretrained is False:
        return Backbone(network, head)
    if isinstance(pretrained, str) and (Path(pretrained).suffix or "/" in pretrained or Path(pretrained).exists()):
        state, source = read_state_dict(Path(pretrained), ACCEPTED), pretrained
        backbone = Backbone(network, head)
    elif name.startswith(TIMM_PREFIX) and pretrained is True:
        state, source, backbone = timm_weights(name, network, head)
    elif not name.startswith(TIMM_PREFIX) and name != "small_cnn" and isinstance(pretrained, str):
        state, source, backbone = torchvision_weights(name, pretrained, network, head)
    else:
        raise ValueError(f"pretrained={pretrained!r} does not apply to backbone {name!r}: {ACCEPTED}.")
    load_all_but_head(network, state, source, f"backbone {name!r}", head, ACCEPTED)
    return backbone


def pretrained_image_size(name: str, pretrained: bool | str | None) -> int | None:
    """The image side that the weights `pretrained` names were trained at, from their published
    description (nothing is downloaded); None for a local file, no weights, or unknown ones."""
    if name.startswith(TIMM_PREFIX) and pretrained is True:
        import timm

        config = timm.get_pretrained_cfg(name.removeprefix(TIMM_PREFIX))
        return config.input_size[-1] if config else None
    if isinstance(pretrained, str) and name in models.list_models(module=models):
        weights = models.get_model_weights(name)
        if pretrained == "DEFAULT" or pretrained in weights.__members__:
            return (weights.DEFAULT if pretrained == "DEFAULT" else weights[pretrained]).transforms().crop_size[0]
    return None


def head_module(network: nn.Module) -> str:
    """The name of the network's child module that holds its last linear layer: the classifier head."""
    classifier = network.get_classifier() if hasattr(network, "get_classifier") else None  # timm's own
    linear = classifier if classifier is not None else [m for m in network.modules() if isinstance(m, nn.Linear)][-1]
    for name, child in network.named_children():
        if child is linear or any(module is linear for module in child.modules()):
            return name
    raise ValueError(f"{type(network).__name__} has no classifier head among its child modules.")


def torchvision_weights(
    name: str, weights_name: str, network: nn.Module, head: str
) -> tuple[dict[str, torch.Tensor], str, Backbone]:
    """The torchvision weights `weights_name` of model `name` (downloaded once into the torch hub
    cache), and the preprocessing they were trained with."""
    available = models.get_model_weights(name)
    if weights_name not in ("DEFAULT", *available.__members__):
        raise ValueError(
            f"pretrained={weights_name!r}: torchvision has no such weights for {name}; "
            f"it has DEFAULT, {', '.join(available.__members__)}."
        )
    weights = available[weights_name] if weights_name != "DEFAULT" else available.DEFAULT
    try:
        state = weights.get_state_dict(progress=False)
    except (URLError, OSError) as error:
        raise ValueError(
            f"pretrained={weights_name!r}: {weights} could not be downloaded ({error}). On a machine with a "
            "network they are downloaded once into the torch hub cache (~/.cache/torch/hub); offline, pass the path "
            "of a local copy of the state dict."
        ) from error
    preprocessing = weights.transforms()
    return state, str(weights), Backbone(network, head, tuple(preprocessing.mean), tuple(preprocessing.std))


def timm_weights(name: str, network: nn.Module, head: str) -> tuple[dict[str, torch.Tensor], str, Backbone]:
    """timm's default pretrained weights of model `name`, and the preprocessing they were trained with."""
    pretrained_model, source = timm_pretrained(name.removeprefix(TIMM_PREFIX))
    config = pretrained_model.pretrained_cfg
    backbone = Backbone(network, head, tuple(config["mean"]), tuple(config["std"]))
    return pretrained_model.state_dict(), source, backbone
