"""Pictures of a run: its learning curves and its task's figures of the test split, as PNG files in
`<run>/plots/`, in the logger, and in `<run>/report.html`, one page that opens offline."""

from __future__ import annotations

import base64
import csv
import html
import math
import struct
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import nn

from ..training.runs import run_dir, write_summary
from .figure_logging import log_figures

DPI = 100
# In each run's folder: the learning curves as numbers (epoch, then one column per metric), for `compare`.
HISTORY_FILE = "history.csv"


# Room around the axes, in inches (left, bottom, right, top), for tick labels, axis labels and a
# title. Fixed margins rather than a layout engine's, which would take about half the drawing time.
MARGINS = (0.9, 0.7, 0.3, 0.5)
LABEL_CHARACTERS = 16  # longer class names are cut to fit the margins


def new_axes(
    width: float = 6.4,
    height: float = 4.8,
    rows: int = 1,
    columns: int = 1,
    margins: tuple[float, float, float, float] = MARGINS,
) -> Any:
    """Axes of a new figure of `width` x `height` inches. A Figure of its own, outside pyplot:
    nothing keeps it once it is saved, and it draws with Agg whatever backend the machine has."""
    figure = Figure(figsize=(width, height))
    left, bottom, right, top = margins
    figure.subplots_adjust(left=left / width, bottom=bottom / height, right=1 - right / width, top=1 - top / height)
    return figure.subplots(rows, columns, squeeze=rows * columns == 1)


def short(name: str) -> str:
    """A label cut to `LABEL_CHARACTERS`."""
    return name if len(name) <= LABEL_CHARACTERS else name[: LABEL_CHARACTERS - 1] + "…"


class TestFigures(nn.Module):
    """What a task draws of the samples it evaluates: updated with each batch (the model's outputs
    and the batch), computed on every process together (torchmetrics gathers them), drawn on one.
    A module, so that its metrics move to the model's device."""

    def update(self, outputs: torch.Tensor, batch: Any) -> None:
        raise NotImplementedError

    def compute(self) -> dict[str, Any]:
        raise NotImplementedError

    def draw(self, values: dict[str, Any]) -> dict[str, Figure]:
        """The figures, by file name."""
        raise NotImplementedError


class Plots(Callback):
    """Draw the learning curves and the task's figures of the test split at the end of `test` (and
    so after the test that ends `fit`), on rank zero: `<run>/plots/<name>.png`, sent to the logger,
    and `<run>/report.html` with the config, the split sizes and the test metrics.

    The learning curves come from the epoch means of `train/loss` and the `val/` metrics, kept
    with the checkpoints (a resumed run goes on drawing them; `test` of a checkpoint draws its run's).

    Args:
        val_every_n_epochs: Also draw the task's figures of the validation split every N epochs,
            in `<run>/plots/val-epoch-<N>/`; 0: never.
    """

    def __init__(self, val_every_n_epochs: int = 0) -> None:
        if val_every_n_epochs < 0:
            raise ValueError(f"val_every_n_epochs={val_every_n_epochs} must be 0 (never) or more.")
        self.val_every_n_epochs = val_every_n_epochs
        self.history: dict[int, dict[str, float]] = {}
        # Set by `report`, which draws into a finished run's folder the figures of its checkpoint.
        self.folder: Path | None = None  # None: the run's folder
        self.checkpoint: str | None = None  # None: the checkpoint the trainer tested
        self.figures: TestFigures | None = None
        self.batches = 0
        self.train_steps = 0

    def state_dict(self) -> dict[str, Any]:
        return {"history": [{"epoch": epoch, **row} for epoch, row in sorted(self.history.items())]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = {row.pop("epoch"): row for row in map(dict, state_dict["history"])}

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Also here: a run resumed in the middle of an epoch starts no epoch.
        self.on_train_epoch_start(trainer, pl_module)

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.train_loss_sum, self.train_steps = torch.zeros((), device=pl_module.device), 0

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, *args: Any) -> None:
        # A sum on the device: no waiting for it at every step (the first process's batches, as the logged train/loss).
        self.train_loss_sum += outputs["loss"].detach()
        self.train_steps += 1

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.record_train_loss(trainer)

    def record_train_loss(self, trainer: Trainer) -> None:
        """The mean of `train/loss` over the epoch's batches so far."""
        if self.train_steps:
            self.history.setdefault(trainer.current_epoch, {})["train/loss"] = (
                float(self.train_loss_sum) / self.train_steps
            )

    def on_validation_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        epoch = trainer.current_epoch + 1
        fitting = trainer.state.fn == "fit" and not trainer.sanity_checking
        if fitting and self.val_every_n_epochs and epoch % self.val_every_n_epochs == 0:
            self.start_figures(pl_module)

    def on_validation_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, *args: Any
    ) -> None:
        if self.figures is not None:
            self.figures.update(outputs, batch)
            self.batches += 1

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.state.fn != "fit" or trainer.sanity_checking:
            return
        # Read here, once Lightning has reduced the epoch's values (not yet in on_validation_epoch_end).
        row = self.history.setdefault(trainer.current_epoch, {})
        row.update({name: float(value) for name, value in trainer.callback_metrics.items() if name.startswith("val/")})
        self.record_train_loss(trainer)  # validation ends the epoch: its training batches are all in
        folder = run_dir(trainer)  # on every process
        if trainer.is_global_zero:
            write_history(folder / HISTORY_FILE, self.history)
        if self.figures is not None:
            self.draw(trainer, f"plots/val-epoch-{trainer.current_epoch + 1}")

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not self.history and trainer.ckpt_path:  # `test` of a checkpoint: its run's learning curves
            self.history = saved_history(trainer.ckpt_path)

    def on_test_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.start_figures(pl_module)

    def on_test_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, *args: Any
    ) -> None:
        self.figures.update(outputs, batch)
        self.batches += 1

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        folder, pictures = self.draw(trainer, "plots", self.history)
        if trainer.is_global_zero:
            test_metrics = {
                name: float(value) for name, value in trainer.callback_metrics.items() if name.startswith("test/")
            }
            splits = getattr(trainer.datamodule, "split_indices", None)  # None: tested on loaders given directly
            split_sizes = {name: len(positions) for name, positions in splits._asdict().items()} if splits else {}
            path = write_report(folder, pictures, test_metrics, split_sizes, self.checkpoint or trainer.ckpt_path)
            write_summary(folder, test=test_metrics)
            print(f"Plots in {folder / 'plots'}, report in {path}")

    def start_figures(self, pl_module: LightningModule) -> None:
        self.figures = pl_module.test_figures().to(pl_module.device)
        self.batches = 0

    def draw(
        self, trainer: Trainer, subfolder: str, history: dict[int, dict[str, float]] | None = None
    ) -> tuple[Path, list[Path]]:
        """Compute the task's figures (on every process), then on rank zero draw them, and the
        learning curves of `history`, save them in `<run>/<subfolder>/` and send them to the logger.
        The run's folder and the saved files."""
        folder = self.folder or run_dir(trainer)  # run_dir: on every process
        figures, self.figures = self.figures, None
        values = figures.compute() if self.batches else None
        if not trainer.is_global_zero:
            return folder, []
        drawn = {"learning_curves": draw_learning_curves(history)} if history else {}
        if values is not None:
            with warnings.catch_warnings():
                # torchmetrics' plots hand tensors to matplotlib, which NumPy 2 warns about: not the project's doing.
                warnings.filterwarnings("ignore", "__array__ implementation doesn't accept a copy keyword")
                drawn |= figures.draw(values)
        (folder / subfolder).mkdir(parents=True, exist_ok=True)
        saved = {f"{subfolder}/{name}": folder / subfolder / f"{name}.png" for name in drawn}
        for figure, path in zip(drawn.values(), saved.values(), strict=True):
            figure.savefig(path, dpi=DPI)
        if trainer.logger is not None and not trainer.fast_dev_run:  # fast_dev_run: a logger that keeps nothing
            log_figures(trainer.logger, saved, trainer.global_step)
        return folder, list(saved.values())


def draw_learning_curves(history: dict[int, dict[str, float]]) -> Figure:
    """One panel per metric (loss first), with its train and val values per epoch."""
    metrics = sorted({name.split("/", 1)[1] for row in history.values() for name in row}, key=lambda m: m != "loss")
    columns = min(len(metrics), 4)
    rows = math.ceil(len(metrics) / columns)
    axes = new_axes(4.2 * columns, 3.4 * rows + 0.3, rows, columns, margins=(0.6, 0.6, 0.2, 0.7)).flat
    axes[0].figure.subplots_adjust(wspace=0.25, hspace=0.45)
    epochs = sorted(history)
    for metric, ax in zip(metrics, axes, strict=False):
        for stage in ("train", "val"):
            points = [
                (epoch + 1, history[epoch][f"{stage}/{metric}"])
                for epoch in epochs
                if f"{stage}/{metric}" in history[epoch]
            ]
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", markersize=3, label=stage)
        ax.set(title=metric, xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    for ax in axes:  # the panels left over
        ax.set_axis_off()
    ax.figure.suptitle("Learning curves")
    return ax.figure


def write_history(path: Path, history: dict[int, dict[str, float]]) -> None:
    """The learning curves as a CSV file: one row per epoch (counted from 1), one column per metric."""
    names = sorted({name for row in history.values() for name in row})
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["epoch", *names])
        writer.writerows([epoch + 1, *(history[epoch].get(name, "") for name in names)] for epoch in sorted(history))


def saved_history(checkpoint: str | Path) -> dict[int, dict[str, float]]:
    """The learning curves kept in a checkpoint ({} if it has none)."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=True).get("callbacks", {}).get(Plots.__qualname__)
    plots = Plots()
    if state:
        plots.load_state_dict(state)
    return plots.history


def write_report(
    folder: Path,
    pictures: list[Path],
    test_metrics: dict[str, float],
    split_sizes: dict[str, int],
    checkpoint: str | None,
) -> Path:
    """`<folder>/report.html`: the test metrics of `checkpoint`, the split sizes, `pictures`
    embedded (no file beside the page, no network, no script) and the run's config."""
    config = folder / "config.yaml"
    title = f"{{ cookiecutter.package_name }}: {folder.name}"
    about = [str(folder.resolve()), f"tested: {checkpoint or 'the model as trained'}"]
    page = [
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>',
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>{'<br>'.join(map(html.escape, about))}<br>{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}</p>",
        "<h2>Test metrics</h2>",
        table({name.removeprefix("test/"): f"{value:.4g}" for name, value in sorted(test_metrics.items())}),
        "<h2>Split sizes</h2>",
        table({name: str(size) for name, size in split_sizes.items()}),
        '<h2>Plots</h2><div class="plots">',
        *map(embedded_figure, pictures),
        "</div><h2>Config</h2>",
        f"<pre>{html.escape(config.read_text() if config.exists() else f'{config} not found')}</pre>",
        "</body></html>\n",
    ]
    path = folder / "report.html"
    path.write_text("\n".join(page), encoding="utf-8")
    return path


def embedded_figure(path: Path) -> str:
    """A PNG file as a figure of the page, its bytes inside it; a wide one across the page."""
    png = path.read_bytes()
    width, height = struct.unpack(">II", png[16:24])  # from the PNG's header chunk (IHDR)
    caption = path.stem.replace("_", " ")
    image = f'<img alt="{caption}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
    wide = ' class="wide"' if width >= 1.5 * height else ""
    return f"<figure{wide}>{image}<figcaption>{caption}</figcaption></figure>"


def table(values: dict[str, str]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>" for name, value in values.items()
    )
    return f"<table>{rows}</table>"


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:75em;padding:0 1em;color:#222}"
    "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3em .8em;text-align:left}"
    "td{font-variant-numeric:tabular-nums}figure{margin:0}figure.wide{grid-column:1/-1}"
    ".plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(30em,1fr));gap:1.5em;align-items:start}"
    "img{width:100%;border:1px solid #eee}figcaption{text-align:center;color:#555}"
    "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.85em}"
)
