"""Cross-validate: fit every fold, then report each test metric's mean and standard deviation.

    python -m {{ cookiecutter.package_name }}.kfold [fit arguments, e.g. --trainer.max_epochs 10]

Each fold is an ordinary `fit` run (with its own logger run and checkpoints) that
ends by testing its best checkpoint on the held-out test set, the same for every fold.
The table is printed and written to `runs/kfold_summary.csv`.
"""

from __future__ import annotations

import csv
import statistics
import sys
from pathlib import Path

from .cli import main as cli_main


def cross_validate(args: list[str]) -> dict[str, list[float]]:
    """Fit every fold with `args` added; return each test metric's value per fold."""
    scores: dict[str, list[float]] = {}
    fold = 0
    num_folds = 1
    while fold < num_folds:
        cli = cli_main(["fit", *args, "--data.split.init_args.fold", str(fold)])
        num_folds = cli.datamodule.split.num_folds
        for name, value in cli.trainer.callback_metrics.items():
            if name.startswith("test/"):
                scores.setdefault(name, []).append(float(value))
        fold += 1
    return scores


def summarize(scores: dict[str, list[float]]) -> list[tuple[str, float, float]]:
    """(metric, mean, sample standard deviation) for each metric."""
    return [(name, statistics.mean(values), statistics.stdev(values)) for name, values in sorted(scores.items())]


def main(args: list[str] | None = None, summary_file: str = "runs/kfold_summary.csv") -> list[tuple[str, float, float]]:
    summary = summarize(cross_validate(sys.argv[1:] if args is None else args))
    path = Path(summary_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["metric", "mean", "std"])
        writer.writerows(summary)
    print(f"\n{'metric':<20} {'mean':>8} {'std':>8}")
    for name, mean, std in summary:
        print(f"{name:<20} {mean:>8.4f} {std:>8.4f}")
    print(f"\nWritten to {path}")
    return summary


if __name__ == "__main__":
    main()
