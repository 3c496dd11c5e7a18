"""Pretrained weights for the image models: local state dicts read safely, and loaded into a
network whose classifier head is new (another number of classes, or none at all)."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

TIMM_PREFIX = "timm/"  # how a timm model is named where a torchvision one could be


def read_state_dict(path: Path, accepted: str) -> dict[str, torch.Tensor]:
    """A local state dict (.pt, .pth or .safetensors), read without unpickling arbitrary objects;
    `accepted` says what else `pretrained` takes, for the error messages."""
    if not path.is_file():
        raise FileNotFoundError(f"pretrained={str(path)!r}: no such file. {accepted}.")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"pretrained={str(path)!r} holds more than tensors and would need arbitrary unpickling, which can run "
            "code: refused. Save a plain state dict instead: torch.save(model.state_dict(), path)."
        ) from error
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ValueError(f"pretrained={str(path)!r} is not a state dict (names to tensors). {accepted}.")
    return state


def timm_pretrained(model_name: str) -> tuple[nn.Module, str]:
    """timm's model `model_name` with its default pretrained weights (downloaded once from the
    Hugging Face hub into its cache; `pretrained_cfg` says how they were trained), and their name."""
    import timm  # a second to import: only for timm models

    try:
        model = timm.create_model(model_name, pretrained=True)
    except (OSError, RuntimeError, ValueError) as error:
        raise ValueError(
            f"pretrained=true: timm's weights of {model_name} could not be downloaded ({error}). On a machine with "
            "a network they are downloaded once into the Hugging Face cache (~/.cache/huggingface); offline, pass "
            "the path of a local copy of the state dict."
        ) from error
    return model, f"timm {model_name} ({model.pretrained_cfg.get('tag') or 'default'})"


def load_all_but_head(
    network: nn.Module, state: dict[str, torch.Tensor], source: str, name: str, head: str | None, accepted: str
) -> None:
    """Load `state` into `network` (called `name`): every tensor but the classifier heads' must fit.
    Skipped: the tensors of `network`'s own head (the child module `head`) that `state` lacks or
    holds in another shape, and those of a head of `state`'s that `network` has not (one child
    module, absent from `network`, such as the `fc` of a classifier loaded into a feature extractor)."""
    own = network.state_dict()
    in_head = {key for key in own if head and key.startswith(f"{head}.")}
    unexpected = [key for key in state if key not in own]
    source_heads = {key.split(".")[0] for key in unexpected}
    if len(source_heads) == 1 and not any(key.startswith(f"{next(iter(source_heads))}.") for key in own):
        unexpected = []  # the source's classifier head, which this network has not
    problems = [
        f"{len(keys)} {what} ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})"
        for keys, what in (
            ([key for key in own if key not in state and key not in in_head], "missing"),
            (unexpected, "unexpected"),
            (
                [key for key in own if key in state and key not in in_head and state[key].shape != own[key].shape],
                "of another shape",
            ),
        )
        if keys
    ]
    if problems:
        raise ValueError(
            f"pretrained={source!r} does not fit {name}: tensors {'; '.join(problems)}. "
            f"Is it a state dict of another architecture? {accepted}."
        )
    loaded = {key: state[key] for key in own if key in state and state[key].shape == own[key].shape}
    network.load_state_dict(loaded, strict=False)
    skipped = sorted(set(own) - set(loaded)) + sorted(set(state) - set(own))
    heads = ", ".join(skipped) or "none"
    rank_zero_info(f"Loaded {len(loaded)} tensors of {source} into {name}; skipped, the classifier heads': {heads}.")
