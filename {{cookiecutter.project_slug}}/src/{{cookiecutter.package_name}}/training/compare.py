"""`compare`: one page and one table of several runs, from their folders alone.

python -m {{ cookiecutter.package_name }} compare [RUN ...] [--output_dir DIR]
"""

from __future__ import annotations

import csv
import html
import json
import math
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from jsonargparse import ArgumentParser
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..plots.callback import DPI, HISTORY_FILE, STYLE, embedded_figure, new_axes
from .runs import RUNS_DIR, SUMMARY_FILE

# Options that differ between any two runs without saying how they differ.
ALWAYS_DIFFERENT = ("ckpt_path",)


def run_folders(runs: list[str], root: Path) -> list[Path]:
    """The run folders (those with a `run.yaml`) that `runs` name: folders, globs, or folders that
    hold runs (a sweep, a cross-validation, the runs root); every run under `root` when none."""
    found: list[Path] = []
    for pattern in runs or [str(root)]:
        paths = sorted(Path().glob(pattern)) if any(mark in pattern for mark in "*?[") else [Path(pattern)]
        if not paths or not all(path.is_dir() for path in paths):
            raise FileNotFoundError(f"{pattern}: no such run folder.")
        for path in paths:
            found += [summary.parent for summary in sorted(path.rglob(SUMMARY_FILE))]
    if not found:
        raise FileNotFoundError(f"no run under {', '.join(runs or [str(root)])}: a run's folder holds {SUMMARY_FILE}.")
    return sorted(set(found), key=lambda folder: read_yaml(folder / SUMMARY_FILE).get("started", ""))


def read_yaml(path: Path) -> dict[str, Any]:
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def flat(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A nested config as `a.b.c: value` pairs (lists as JSON)."""
    pairs: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs |= flat(value, f"{name}.")
        else:
            pairs[name] = json.dumps(value) if isinstance(value, list) else str(value)
    return pairs


def duration(summary: dict[str, Any]) -> str:
    if "started" not in summary or "finished" not in summary:
        return ""
    seconds = (datetime.fromisoformat(summary["finished"]) - datetime.fromisoformat(summary["started"])).total_seconds()
    return f"{seconds:.0f} s"


def history(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """Each metric's (epoch, value) points, from the run's `history.csv`."""
    path = folder / HISTORY_FILE
    if not path.is_file():
        return {}
    curves: dict[str, list[tuple[int, float]]] = {}
    with path.open() as file:
        for row in csv.DictReader(file):
            for name, value in row.items():
                if name != "epoch" and value:
                    curves.setdefault(name, []).append((int(row["epoch"]), float(value)))
    return curves


def draw_curves(curves: dict[str, dict[str, list[tuple[int, float]]]]) -> Figure | None:
    """One panel per metric, one line per run."""
    metrics = sorted({name for run in curves.values() for name in run}, key=lambda name: ("loss" not in name, name))
    if not metrics:
        return None
    columns = min(len(metrics), 3)
    rows = math.ceil(len(metrics) / columns)
    axes = new_axes(4.4 * columns, 3.4 * rows + 0.8, rows, columns, margins=(0.6, 0.6, 0.2, 0.7)).flat
    axes[0].figure.subplots_adjust(wspace=0.25, hspace=0.45)
    for metric, ax in zip(metrics, axes, strict=False):
        for label, run in curves.items():
            if metric in run:
                ax.plot(*zip(*run[metric], strict=True), marker="o", markersize=3, label=label)
        ax.set(title=metric, xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_axis_off()
    axes[0].legend(fontsize="small")
    return axes[0].figure


def compare(
    runs: list[str] | None = None, output_dir: Path | None = None, runs_dir: Path = Path(RUNS_DIR), spread: bool = False
) -> Path:
    """Compare runs: write `comparison.csv` and `comparison.html` (self-contained: it opens offline)
    with each run's final test metrics, best validation metric, the options in which their configs
    differ (only those), durations and checkpoints, and their learning curves overlaid. Works from
    the run folders alone, whatever the logger, and for runs whose checkpoints are gone.

    Args:
        runs: Run folders, globs, or folders holding runs (a sweep's, a cross-validation's). None:
            every run under `runs_dir`.
        output_dir: Where to write the two files. None: `runs_dir`.
        runs_dir: The runs folder (`trainer.default_root_dir`).
        spread: Add rows with each test metric's mean and standard deviation over the runs (seeds).
    """
    folders = run_folders(runs or [], runs_dir)
    labels = [
        folder.relative_to(runs_dir).as_posix() if folder.is_relative_to(runs_dir) else str(folder)
        for folder in folders
    ]
    summaries = [read_yaml(folder / SUMMARY_FILE) for folder in folders]
    configs = [flat(read_yaml(folder / "config.yaml")) for folder in folders]
    options = sorted({name for config in configs for name in config})
    differing = [
        name
        for name in options
        if len({config.get(name) for config in configs}) > 1 and name.rsplit(".", 1)[-1] not in ALWAYS_DIFFERENT
    ]
    metrics = sorted({name for summary in summaries for name in summary.get("test", {})})
    rows = []
    for folder, label, summary, config in zip(folders, labels, summaries, configs, strict=True):
        best = summary.get("best", {})
        checkpoints = sorted(path.name for path in (folder / "checkpoints").glob("*.ckpt"))
        rows.append(
            {
                "run": label,
                "command": summary.get("command", ""),
                "status": summary.get("status", ""),
                **{name: f"{value:.4g}" for name, value in summary.get("test", {}).items()},
                "best val": ", ".join(f"{name} {value:.4g}" for name, value in best.items()),
                **{name: config.get(name, "") for name in differing},
                "duration": duration(summary),
                "checkpoints": " ".join(checkpoints) or "gone",
            }
        )
    if spread:
        values = {
            name: [summary["test"][name] for summary in summaries if name in summary.get("test", {})]
            for name in metrics
        }
        for label, function in (("mean", statistics.mean), ("std", statistics.stdev)):
            rows.append(
                {"run": label, **{name: f"{function(found):.4g}" for name, found in values.items() if len(found) > 1}}
            )
    columns = ["run", "command", "status", *metrics, "best val", *differing, "duration", "checkpoints"]
    output = Path(output_dir or runs_dir)
    output.mkdir(parents=True, exist_ok=True)
    with (output / "comparison.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    figure = draw_curves({label: history(folder) for label, folder in zip(labels, folders, strict=True)})
    pictures = []
    if figure is not None:
        picture = output / "comparison_learning_curves.png"
        figure.savefig(picture, dpi=DPI)
        pictures.append(embedded_figure(picture))
        picture.unlink()  # the page holds it
    header = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(name, '')))}</td>" for name in columns) + "</tr>"
        for row in rows
    )
    page = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ cookiecutter.package_name }}: runs compared</title>',
        f"<style>{STYLE}</style></head><body><h1>{{ cookiecutter.package_name }}: {len(rows)} runs compared</h1>",
        f"<p>Options shown: those in which the runs' configs differ ({len(differing)} of {len(options)}).</p>",
        f"<div style='overflow-x:auto'><table><tr>{header}</tr>{body}</table></div>",
        "<h2>Learning curves</h2>",
        *(pictures or ["<p>No run has learning curves (history.csv) yet.</p>"]),
        "</body></html>\n",
    ]
    path = output / "comparison.html"
    path.write_text("\n".join(page), encoding="utf-8")
    print(f"Compared {len(rows)} runs: {path}, {output / 'comparison.csv'}")
    return path


def main(args: list[str], prog: str) -> Path:
    parser = ArgumentParser(prog=prog, description=compare.__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="*", help="Run folders, globs, or folders holding runs (default: every run).")
    parser.add_argument("--output_dir", type=Path | None, default=None, help="Where to write (default: runs_dir).")
    parser.add_argument("--runs_dir", type=Path, default=Path(RUNS_DIR), help="The runs folder.")
    options = parser.parse_args(args)
    return compare(options.runs, options.output_dir, options.runs_dir)
