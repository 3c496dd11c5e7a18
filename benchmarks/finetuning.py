"""Fine-tuning throughput of a rendered image-classification project, run inside that project.

    python finetuning.py <package_name> <image size> <batches per epoch> <repeats>

Prints one JSON object: `fit` samples/s of a resnet18 from pretrained weights (a local state dict,
written here: nothing is downloaded) with its backbone frozen for the whole run against the same
run with everything training, in the steady state (the first epoch left out), alternating,
`repeats` times each (the median of each side); and the device it ran on.
"""

from __future__ import annotations

import importlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from throughput import PIPELINE_ARGS  # the fit without logger, validation or checkpoints
from torchvision import models

EPOCHS = 3


class StepClock(Callback):
    """Samples trained and the time they took, after the first epoch."""

    def __init__(self) -> None:
        self.samples, self.seconds = 0, 0.0

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch, batch_idx: int) -> None:
        self.start = time.perf_counter()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx: int) -> None:
        if trainer.current_epoch > 0:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.seconds += time.perf_counter() - self.start
            self.samples += len(batch[1])


def samples_per_second(main, weights: Path, size: int, batches: int, frozen: bool) -> float:
    clock = StepClock()
    args = ["--model.init_args.backbone", "resnet18", "--model.init_args.pretrained", str(weights)]
    args += ["--model.init_args.freeze_backbone_epochs", str(EPOCHS if frozen else 0), "--data.image_size", str(size)]
    cli = main(
        [*args, "--trainer.max_epochs", str(EPOCHS), "--trainer.limit_train_batches", str(batches), *PIPELINE_ARGS],
        run=False,
    )
    cli.trainer.callbacks.append(clock)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return clock.samples / clock.seconds


def main() -> None:
    package, size, batches, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    cli_main = importlib.import_module(f"{package}.training.cli").main
    with tempfile.TemporaryDirectory() as folder:
        weights = Path(folder) / "resnet18.pth"
        torch.save(models.resnet18(weights=None).state_dict(), weights)
        sides: dict[str, list[float]] = {"frozen": [], "unfrozen": []}
        for _ in range(repeats):
            for side in sides:
                sides[side].append(samples_per_second(cli_main, weights, size, batches, side == "frozen"))
    record = {side: statistics.median(values) for side, values in sides.items()}
    record["device"] = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    record["image_size"] = size
    print(json.dumps(record))


if __name__ == "__main__":
    main()
