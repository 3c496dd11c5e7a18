"""`repeat`: the same config trained over several seeds, as one run of its own.

    python -m {{ cookiecutter.package_name }} repeat --seeds 0,1,2 [--name NAME] [fit arguments]

Each seed is an ordinary `fit` under `<runs>/repeats/<name>/seed_<s>/`; `summary.csv` holds every
seed's test metrics and best validation value with their mean and standard deviation, and
`report.html` compares the seeds' runs (`compare`). Run it again with the same `--name` to go on
where it stopped: finished seeds are kept, an unfinished one resumes from its `last.ckpt`.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any

from .cli import main as cli_main
from .compare import compare
from .runs import REPEATS_DIR, find_checkpoint, run_summaries


def group_folder(root: Path, name: str | None) -> Path:
    """`root/<name>`, or the next free `root/version_N`."""
    if name:
        return root / name
    taken = {path.name for path in root.glob("version_*")}
    return root / next(f"version_{n}" for n in range(len(taken) + 1) if f"version_{n}" not in taken)


def fit_in(folder: Path, args: list[str]) -> str:
    """Fit with `args` in `folder` unless a fit finished there (going on from its `last.ckpt` if one
    stopped); the best checkpoint."""
    if not any(summary.get("status") == "finished" for _, summary in run_summaries(folder)):
        resume = [*folder.rglob("checkpoints/last.ckpt")]
        cli_main(
            [
                "fit",
                *args,
                "--trainer.default_root_dir",
                str(folder),
                *(["--ckpt_path", str(resume[0])] if resume else []),
            ]
        )
    return find_checkpoint("best", folder)


def write_summary_table(
    path: Path, key: str, rows: list[dict[str, Any]], more: list[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """`rows` (one per fold or seed, named by `key`), then each column's mean and standard deviation,
    then `more`, as a CSV file; the rows written."""
    names = [name for name in rows[0] if name != key]
    spread = [
        {key: "mean", **{name: statistics.mean(row[name] for row in rows) for name in names}},
        {key: "std", **{name: statistics.stdev(row[name] for row in rows) for name in names}},
    ]
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, [key, *names], restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, *spread, *more])
    return [*rows, *spread, *more]


def option(args: list[str], name: str) -> tuple[str | None, list[str]]:
    """The value of `--name VALUE` in `args`, and the other arguments."""
    if name not in args:
        return None, args
    at = args.index(name)
    return args[at + 1], args[:at] + args[at + 2 :]


def repeat(args: list[str], seeds: list[int], name: str | None = None) -> Path:
    """Fit with `args` once per seed; return the repeat's folder."""
    if len(seeds) < 2:
        raise ValueError(f"--seeds {','.join(map(str, seeds))}: a spread needs at least two seeds.")
    folder = group_folder(Path(cli_main(args, run=False).trainer.default_root_dir) / REPEATS_DIR, name)
    rows = []
    for seed in seeds:
        fit_in(folder / f"seed_{seed}", [*args, "--seed_everything", str(seed)])
        summary = next(summary for _, summary in run_summaries(folder / f"seed_{seed}") if "finished" in summary)
        rows.append({"seed": seed, **summary.get("test", {}), **summary.get("best", {})})
    write_summary_table(folder / "summary.csv", "seed", rows)
    compare([str(folder)], output_dir=folder, runs_dir=folder, spread=True).rename(folder / "report.html")
    return folder


def main(args: list[str], prog: str) -> Path:
    seeds, args = option(args, "--seeds")
    name, args = option(args, "--name")
    if seeds is None:
        raise ValueError(f"{prog}: --seeds is required, e.g. --seeds 0,1,2.")
    try:
        numbers = [int(seed) for seed in seeds.split(",")]
    except ValueError:
        raise ValueError(f"--seeds {seeds}: give whole numbers separated by commas, e.g. 0,1,2.") from None
    folder = repeat(args, numbers, name)
    print((folder / "summary.csv").read_text())
    print(f"Repeats written to {folder}")
    return folder
