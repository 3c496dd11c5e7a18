"""`cv`: cross-validate, as one run of its own.

    python -m {{ cookiecutter.package_name }} cv [--name NAME] [fit arguments, e.g. --trainer.max_epochs 10]

Every fold is an ordinary `fit` (its logger run, checkpoints and test) under
`<runs>/cv/<name>/fold_<k>/`. The estimate is each fold's score on the fold it held out (out of
fold), with its mean and standard deviation over the folds; every non-test sample is predicted once,
by the fold that did not train on it (`out_of_fold_predictions.csv`); the folds' averaged
predictions (probabilities, or values) are the ensemble scored on the test set beside each fold's
test score (`summary.csv`); `report.html` shows them and the out-of-fold figures. Run it again with
the same `--name` to go on where it stopped: finished folds are kept, an unfinished one resumes from
its `last.ckpt`.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import move_data_to_device
from matplotlib.figure import Figure

from ..checkpoint.inference import load_model
from ..data import LINKED_TO_MODEL
from ..plots.callback import STYLE, TestFigures, embedded_figure, table
from .cli import default_precision
from .cli import main as cli_main
from .repeat import fit_in, group_folder, option, write_summary_table
from .runs import CV_DIR


class FoldPredictions(Callback):
    """Keep what a fold's model predicts (as `infer` does: probabilities, values) of the fold it held
    out and of the test split, with the test split's targets; feed the task's figures, which gather
    every fold's held-out samples, with the held-out fold's outputs."""

    def __init__(self, figures: TestFigures) -> None:
        self.figures = figures
        self.start_fold()

    def start_fold(self) -> None:
        self.predicted: dict[str, list[torch.Tensor]] = {"val": [], "test": []}
        self.test_targets: list[torch.Tensor] = []

    def keep(self, pl_module: LightningModule, batch: Any, split: str) -> None:
        inputs = batch[0] if isinstance(batch[0], (tuple, list)) else (batch[0],)
        self.predicted[split].append(pl_module.infer(*inputs).float().cpu())

    def on_validation_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, *args: Any
    ) -> None:
        # On the CPU, where the figures are: they gather every fold's.
        self.figures.update(outputs.detach().cpu(), move_data_to_device(batch, "cpu"))
        self.keep(pl_module, batch, "val")

    def on_test_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, *args: Any
    ) -> None:
        self.keep(pl_module, batch, "test")
        self.test_targets.append(batch[1].cpu())


def prediction_columns(model: LightningModule, predictions: torch.Tensor) -> list[dict[str, float]]:
    """Per sample: its value (regression), each class's probability, or, for a mask, its pixels' mean
    probability of each class."""
    if predictions.ndim == 1:
        return [{"value": value} for value in predictions.tolist()]
    if predictions.ndim > 2:
        predictions = predictions.flatten(start_dim=2).mean(dim=2)
    names = [f"probability/{name}" for name in model.class_names]
    return [dict(zip(names, row, strict=True)) for row in predictions.tolist()]


def evaluate_fold(args: list[str], fold: int, checkpoint: str, kept: FoldPredictions | None) -> dict[str, Any]:
    """A fold's best checkpoint on the fold it held out and on the test split: metrics and predictions."""
    model = load_model(checkpoint)
    datamodule = cli_main([*args, "--data.split.init_args.fold", str(fold)], run=False).datamodule
    datamodule.use_fitted({name: model.hparams[name] for name in LINKED_TO_MODEL if name in model.hparams})
    kept = kept or FoldPredictions(model.test_figures())
    kept.start_fold()
    trainer = Trainer(
        devices=1,
        precision=default_precision(torch.cuda.is_available()),
        logger=False,
        callbacks=[kept],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    out_of_fold = trainer.validate(model, datamodule=datamodule, verbose=False)[0]
    test = trainer.test(model, datamodule=datamodule, verbose=False)[0]
    predicted = torch.cat(kept.predicted["val"])
    ids = [datamodule.sample_ids[position] for position in datamodule.split_indices.val]
    rows = [
        {"sample": sample, "fold": fold, **columns}
        for sample, columns in zip(ids, prediction_columns(model, predicted), strict=True)
    ]
    return {
        "model": model,
        "out_of_fold": out_of_fold,
        "test": test,
        "rows": rows,
        "test_predictions": torch.cat(kept.predicted["test"]),
        "test_targets": torch.cat(kept.test_targets),
        "kept": kept,
    }


def spread_figure(per_fold: list[dict[str, float]]) -> Figure:
    """One panel per out-of-fold metric: each fold's value (dots) and their mean (line)."""
    names = sorted({name for scores in per_fold for name in scores})
    figure = Figure(figsize=(2.4 * len(names), 3), layout="constrained")
    for ax, name in zip(figure.subplots(1, len(names), squeeze=False)[0], names, strict=True):
        values = [scores[name] for scores in per_fold]
        ax.plot(range(len(values)), values, "o", color="tab:blue")
        ax.axhline(statistics.mean(values), color="tab:red")
        ax.set_xticks(range(len(values)))
        ax.set_xlabel("fold")
        ax.set_title(name.split("/", 1)[1])
    figure.suptitle("Out-of-fold metrics: each fold and their mean")
    return figure


def cross_validate(args: list[str], name: str | None, prog: str) -> Path:
    """Fit and evaluate every fold with `args` added; return the cross-validation's folder."""
    probe = cli_main(args, run=False)
    if not hasattr(probe.datamodule.split, "num_folds"):
        raise ValueError(
            f"{prog}: the data's split is not a KFoldSplit; set --data.split.class_path to the project's KFoldSplit."
        )
    folder = group_folder(Path(probe.trainer.default_root_dir) / CV_DIR, name)
    num_folds = probe.datamodule.split.num_folds
    kept: FoldPredictions | None = None
    summary, rows, test_predictions = [], [], []
    for fold in range(num_folds):
        fold_args = [*args, "--data.split.init_args.fold", str(fold)]
        checkpoint = fit_in(folder / f"fold_{fold}", fold_args)
        result = evaluate_fold(args, fold, checkpoint, kept)
        kept = result["kept"]
        out_of_fold = {f"out_of_fold/{key.split('/', 1)[1]}": value for key, value in result["out_of_fold"].items()}
        summary.append({"fold": fold, **out_of_fold, **result["test"]})
        rows += result["rows"]
        test_predictions.append(result["test_predictions"])
    metrics = result["model"].test_metrics.clone()
    metrics.update(torch.stack(test_predictions).mean(dim=0), result["test_targets"])
    ensemble = {name: float(value) for name, value in metrics.compute().items()}
    write_results(folder, summary, ensemble, rows, kept.figures)
    return folder


def write_results(
    folder: Path,
    summary: list[dict[str, Any]],
    ensemble: dict[str, float],
    rows: list[dict[str, Any]],
    figures: TestFigures,
) -> None:
    """`summary.csv`, `out_of_fold_predictions.csv`, the figures in `plots/` and `report.html`."""
    names = [key for key in summary[0] if key != "fold"]
    table_rows = write_summary_table(folder / "summary.csv", "fold", summary, [{"fold": "ensemble", **ensemble}])
    with (folder / "out_of_fold_predictions.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    drawn = {
        "out_of_fold_metrics": spread_figure(
            [{k: row[k] for k in names if k.startswith("out_of_fold/")} for row in summary]
        )
    }
    drawn |= figures.draw(figures.compute())
    pictures = []
    for picture_name, figure in drawn.items():
        path = plots / f"{picture_name}.png"
        figure.savefig(path, dpi=100)
        pictures.append(path)
    header = "".join(f"<th>{name}</th>" for name in ["fold", *names])
    body = "".join(
        "<tr>" + "".join(f"<td>{format_cell(row.get(name, ''))}</td>" for name in ["fold", *names]) + "</tr>"
        for row in table_rows
    )
    page = [
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{folder.name}</title>',
        f"<style>{STYLE}</style></head><body><h1>Cross-validation {folder.name}</h1>",
        "<p>Out of fold: each fold's best checkpoint on the fold it held out. Test: each fold on the held-out "
        "test set; ensemble: the folds' averaged predictions on it.</p>",
        f"<table><tr>{header}</tr>{body}</table>",
        "<h2>Out-of-fold figures (every fold's held-out samples)</h2>",
        table({"samples": str(len(rows))}),
        '<div class="plots">',
        *map(embedded_figure, pictures),
        "</div></body></html>\n",
    ]
    (folder / "report.html").write_text("\n".join(page), encoding="utf-8")


def format_cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main(args: list[str], prog: str) -> Path:
    name, args = option(args, "--name")
    folder = cross_validate(args, name, prog)
    print((folder / "summary.csv").read_text())
    print(f"Cross-validation written to {folder}")
    return folder
