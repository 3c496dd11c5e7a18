"""`report`: draw the plots and write `report.html` of a finished run again.

python -m {{ cookiecutter.package_name }} report --run <run folder> [--ckpt_path best|last|<path>]
"""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
from jsonargparse import ArgumentParser
from lightning.pytorch import LightningDataModule, Trainer

from ..checkpoint.inference import load_model
from ..data import LINKED_TO_MODEL
from ..data.overlap import SplitOverlapCheck, recorded_splits
from ..training.cli import default_precision
from ..training.runs import CHECKPOINT_NAMES
from .callback import Plots, saved_history


def report(run: Path, ckpt_path: str = "best", allow_overlap: bool = False) -> Path:
    """Draw the plots and write `report.html` of a finished run again (made before the plots
    existed, or before they changed): the run's checkpoint tested on the test split of its config.

    Args:
        run: The run's folder, which holds its `config.yaml` and `checkpoints/`.
        ckpt_path: The checkpoint to test: `best`, `last` (the run's), or a path.
        allow_overlap: Test even when test samples were samples the checkpoint trained or validated on
            (the data changed since the run).
    """
    checkpoint = run / "checkpoints" / f"{ckpt_path}.ckpt" if ckpt_path in CHECKPOINT_NAMES else Path(ckpt_path)
    config = run / "config.yaml"
    if not config.is_file():
        raise FileNotFoundError(f"--run {run}: no {config}; a run's folder holds its config.yaml and checkpoints/.")
    if not checkpoint.is_file():
        raise FileNotFoundError(f"--ckpt_path {ckpt_path}: {checkpoint} does not exist.")
    model = load_model(checkpoint)
    parser = ArgumentParser()
    parser.add_subclass_arguments(LightningDataModule, "data", required=True)
    data_config = {"data": yaml.safe_load(config.read_text())["data"]}
    datamodule = parser.instantiate_classes(parser.parse_object(data_config)).data
    # The data prepared as for the checkpoint's model (its classes, scalers, tokenizer).
    datamodule.use_fitted({name: model.hparams[name] for name in LINKED_TO_MODEL if name in model.hparams})
    plots = Plots()
    plots.folder = run
    plots.checkpoint = str(checkpoint)
    last = run / "checkpoints" / "last.ckpt"
    plots.history = saved_history(last if last.is_file() else checkpoint)
    trainer = Trainer(
        devices=1,
        precision=default_precision(torch.cuda.is_available()),
        logger=False,
        callbacks=[
            SplitOverlapCheck(recorded_splits(checkpoint), allow_overlap, option=f"report --ckpt_path {ckpt_path}"),
            plots,
        ],
        enable_checkpointing=False,
        enable_progress_bar=False,
        default_root_dir=run,
    )
    trainer.test(model, datamodule=datamodule, verbose=False)
    return run / "report.html"
