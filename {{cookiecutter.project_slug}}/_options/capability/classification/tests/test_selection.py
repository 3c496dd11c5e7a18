"""A classifier is selected and stopped on macro F1: the best checkpoint and early stopping watch
`val/f1`, torchmetrics' F1 averaged over the classes, and the sweep optimizes it; the README's
config selects and stops on accuracy instead, as written."""

from __future__ import annotations

import re
from pathlib import Path

from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from {{ cookiecutter.package_name }}.checkpoint.prediction import CSVPredictionWriter
from {{ cookiecutter.package_name }}.training.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def watched(cli) -> list[tuple[str, str]]:
    """What the best checkpoint and early stopping watch, and in which direction (the checkpoint
    that saves `last.ckpt` watches nothing)."""
    callbacks = [c for c in cli.trainer.callbacks if isinstance(c, ModelCheckpoint | EarlyStopping) and c.monitor]
    assert len(callbacks) == 2
    return [(callback.monitor, callback.mode) for callback in callbacks]


def test_the_best_checkpoint_and_early_stopping_follow_macro_f1(data_args: list[str]) -> None:
    cli = main(data_args, run=False)
    assert watched(cli) == [("val/f1", "max"), ("val/f1", "max")]
    f1, accuracy = cli.model.val_metrics["val/f1"], cli.model.val_metrics["val/acc"]
    assert isinstance(f1, MulticlassF1Score) and f1.average == "macro"
    assert isinstance(accuracy, MulticlassAccuracy)


def test_the_readme_config_selects_and_stops_on_accuracy(data_args: list[str], tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), re.DOTALL)
    (block,) = [block for block in blocks if "monitor: val/acc" in block]
    config = tmp_path / "accuracy.yaml"
    config.write_text(block)
    cli = main([*data_args, "--config", str(config)], run=False)
    assert watched(cli) == [("val/acc", "max"), ("val/acc", "max")]
    assert any(isinstance(callback, CSVPredictionWriter) for callback in cli.trainer.callbacks)
