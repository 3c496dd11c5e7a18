"""Throughput of a rendered image-classification project, run inside that project.

    PYTHONPATH=src python throughput.py <package_name> <epochs> <repeats>

Prints one JSON object: samples/s of the pipeline's `fit` and of a plain PyTorch loop over
the same model class, DataLoader and optimizer, and of the DataLoader (decode + transforms)
against the same samples already decoded in memory. Runs alternate, so that load on the
machine hits both sides alike; the median of each side is reported.
"""

from __future__ import annotations

import importlib
import json
import statistics
import sys
import time

import torch
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


def pipeline_fit(main, epochs: int) -> float:
    cli = build(main, epochs)
    cli.datamodule.setup("fit")
    samples = epochs * len(cli.datamodule.train_dataset)
    start = time.perf_counter()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return samples / (time.perf_counter() - start)


def plain_loop(main, epochs: int) -> float:
    cli = build(main, epochs)
    model, datamodule = cli.model, cli.datamodule
    datamodule.setup("fit")
    loader = datamodule.train_dataloader()
    device = cli.trainer.strategy.root_device
    model.to(device).train()
    optimizer = model.configure_optimizers()
    optimizer = optimizer["optimizer"] if isinstance(optimizer, dict) else optimizer
    samples = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for images, labels in loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            loss = model.loss(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            samples += len(labels)
    return samples / (time.perf_counter() - start)


def loading(main) -> tuple[float, float]:
    """(samples/s through the shipped DataLoader, samples/s over the same samples decoded in memory)."""
    cli = build(main, 1)
    datamodule = cli.datamodule
    datamodule.setup("fit")
    loader = datamodule.train_dataloader()
    start = time.perf_counter()
    batches = [batch for batch in loader]
    shipped = sum(len(labels) for _, labels in batches) / (time.perf_counter() - start)
    images = torch.cat([images for images, _ in batches])
    labels = torch.cat([labels for _, labels in batches])
    in_memory = DataLoader(TensorDataset(images, labels), batch_size=datamodule.batch_size, shuffle=True)
    start = time.perf_counter()
    count = sum(len(batch_labels) for _, batch_labels in in_memory)
    return shipped, count / (time.perf_counter() - start)


def main() -> None:
    package, epochs, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cli_main = importlib.import_module(f"{package}.cli").main
    pipeline, plain, shipped, decoded = [], [], [], []
    for _ in range(repeats):
        pipeline.append(pipeline_fit(cli_main, epochs))
        plain.append(plain_loop(cli_main, epochs))
        loaded = loading(cli_main)
        shipped.append(loaded[0])
        decoded.append(loaded[1])
    print(
        json.dumps(
            {
                "pipeline_fit": statistics.median(pipeline),
                "plain_loop": statistics.median(plain),
                "loader_shipped": statistics.median(shipped),
                "loader_in_memory": statistics.median(decoded),
                "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
