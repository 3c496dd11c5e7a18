"""Throughput of a rendered image-classification project, run inside that project.

    python throughput.py <package_name> <epochs> <repeats>

Prints one JSON object: samples/s, in the steady state (the first epoch, which starts the
loader workers and warms up, is left out), of the pipeline's `fit` and of a plain PyTorch loop over
the same model class, DataLoader, batch augmentation, precision and optimizer; and of the
shipped DataLoader plus the batch augmentation (from the image cache, and decoding the files
at every epoch) against the same samples already decoded in memory. Runs alternate, so
that load on the machine hits every side alike; the median of each side is reported.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import statistics
import sys
import time

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch.utils.data import DataLoader, TensorDataset

PIPELINE_ARGS = [
    "--trainer.logger",
    "false",
    "--trainer.limit_val_batches",
    "0",
    "--trainer.num_sanity_val_steps",
    "0",
    "--trainer.enable_checkpointing",
    "false",
    "--trainer.enable_progress_bar",
    "false",
    "--trainer.enable_model_summary",
    "false",
    "--trainer.callbacks",
    "[]",
]


def build(main, epochs: int):
    """The model, data module and trainer exactly as the configs build them."""
    return main(["--trainer.max_epochs", str(epochs), *PIPELINE_ARGS], run=False)


class EpochClock(Callback):
    """When the second training epoch starts and when the last one ends."""

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.current_epoch == 1:
            self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.end = time.perf_counter()


def pipeline_fit(main, epochs: int) -> float:
    cli = build(main, epochs)
    clock = EpochClock()
    cli.trainer.callbacks.append(clock)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return (epochs - 1) * len(cli.datamodule.train_dataset) / (clock.end - clock.start)


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """What Lightning's precision setting does around the forward pass, by hand."""
    dtypes = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}
    if precision in dtypes:
        return torch.autocast(device.type, dtype=dtypes[precision])
    return contextlib.nullcontext()


def plain_loop(main, epochs: int) -> float:
    """What a hand-written loop would do with the same parts: the model, its optimizer (without the
    schedule), the data module's DataLoader and batch augmentation (on the device), the precision the
    config picks."""
    cli = build(main, epochs)
    model, datamodule = cli.model, cli.datamodule
    datamodule.setup("fit")
    loader = datamodule.train_dataloader()
    device = cli.trainer.strategy.root_device
    precision = str(cli.trainer.precision)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "16-mixed")
    model.to(device).train()
    optimizer = model.optimizer(model.parameters())
    samples = 0
    for epoch in range(epochs):
        if epoch == 1:
            start = time.perf_counter()
            samples = 0
        for images, labels in loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            images = datamodule.augment(images)
            with autocast(device, precision):
                loss = model.loss(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            samples += len(labels)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return samples / (time.perf_counter() - start)


def load_epochs(loader: DataLoader, augment, epochs: int) -> tuple[float, list]:
    """samples/s of passes 2 to `epochs` over `loader`, each batch through `augment`, and the
    batches of the first pass."""
    samples = 0
    batches = []
    for epoch in range(epochs):
        if epoch == 1:
            start = time.perf_counter()
            samples = 0
        for images, labels in loader:
            augment(images)
            samples += len(labels)
            if epoch == 0:
                batches.append((images, labels))
    return samples / (time.perf_counter() - start), batches


def loading(main, epochs: int) -> dict[str, float]:
    """samples/s through the shipped DataLoader (from the image cache, and decoding the files at
    every epoch with `cache_dir: null`) and over the same samples held decoded in memory; each
    batch then goes through the data module's augmentation, as in training."""
    cli = build(main, epochs)
    datamodule = cli.datamodule
    datamodule.setup("fit")
    cached, batches = load_epochs(datamodule.train_dataloader(), datamodule.augment, epochs)
    images = torch.cat([images for images, _ in batches])
    labels = torch.cat([labels for _, labels in batches])
    decoded = DataLoader(TensorDataset(images, labels), batch_size=datamodule.batch_size, shuffle=True)
    in_memory, _ = load_epochs(decoded, datamodule.augment, epochs)
    uncached_module = main(["--trainer.max_epochs", str(epochs), *PIPELINE_ARGS, "--data.cache_dir", "null"], run=False)
    uncached_module = uncached_module.datamodule
    uncached_module.setup("fit")
    uncached, _ = load_epochs(uncached_module.train_dataloader(), uncached_module.augment, epochs)
    return {"loader_cached": cached, "loader_decoding": uncached, "loader_in_memory": in_memory}


def main() -> None:
    package, epochs, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cli_main = importlib.import_module(f"{package}.training.cli").main
    runs: dict[str, list[float]] = {}
    for _ in range(repeats):
        runs.setdefault("pipeline_fit", []).append(pipeline_fit(cli_main, epochs))
        runs.setdefault("plain_loop", []).append(plain_loop(cli_main, epochs))
        for name, value in loading(cli_main, epochs).items():
            runs.setdefault(name, []).append(value)
    cli = build(cli_main, 1)
    cli.datamodule.setup("fit")
    print(
        json.dumps(
            {
                **{name: statistics.median(values) for name, values in runs.items()},
                # Each alternation's two sides ran back to back, under the same load.
                "fit_over_plain": sorted(
                    fit / plain for fit, plain in zip(runs["pipeline_fit"], runs["plain_loop"], strict=True)
                ),
                "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
                "precision": str(cli.trainer.precision),
                "num_workers": cli.datamodule.loader_workers(cli.datamodule.train_dataset),
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
