"""A checkpoint alone as a model that predicts raw inputs: no config, no data module, no data folder."""

from __future__ import annotations

from pathlib import Path

import torch
from lightning.pytorch import LightningModule

from ..models.supervised import SupervisedModule
from ..training.runs import RUNS_DIR, find_checkpoint


def load_model(
    path: str | Path, device: str | torch.device = "cpu", runs_dir: str | Path = RUNS_DIR
) -> SupervisedModule:
    """The model saved in a checkpoint (a path, or `best` or `last` as `fit` names them, under
    `runs_dir`), in eval mode on `device`, with everything it needs to predict raw
    inputs (`model.predict([...])`): class names, preprocessing, tokenizer.

    Loaded without unpickling arbitrary objects (`weights_only=True`). Importing this module
    imported the project's model classes, which Lightning requires before it builds one.
    """
    path = find_checkpoint(str(path), runs_dir)
    model = LightningModule.load_from_checkpoint(path, map_location=device, weights_only=True)
    if not isinstance(model, SupervisedModule):
        raise ValueError(f"{path} holds a {type(model).__name__}, not a model of this project.")
    return model.eval()
