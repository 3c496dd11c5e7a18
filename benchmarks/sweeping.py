"""Sweep figures of a rendered image-classification project, run inside that project.

    python sweeping.py <package_name> <repeats> <trials> <short epochs> [<PostgreSQL URL>]

Prints one JSON object:
- `fit_s`, `trial_s`: the median wall time of a default `fit` in this process and of a sweep
  trial of the same config (a search space of one value: the default learning rate), measured in
  alternation, `repeats` times each; `sweep_fixed_s`: the median time a sweep adds once per
  command (checking the options, opening the study, writing the results and the plots);
- `one_worker_s`, `two_workers_s`, `two_workers_threads_shared_s`: the wall time of a study of
  `trials` short trials (`--trainer.max_epochs <short epochs>`) run by one sweep process, by two
  sharing the study, and by two with the cores shared between them (`OMP_NUM_THREADS`);
- given a PostgreSQL URL (`postgresql+psycopg://...`), `two_workers_postgresql_s`: the last study
  again, its storage on that server rather than in the study folder's SQLite file.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import optuna

QUIET = ["--trainer.enable_progress_bar", "false"]


def sweep_workers(
    package: str,
    workers: int,
    trials: int,
    epochs: int,
    study: str,
    threads: int | None = None,
    storage: str | None = None,
) -> float:
    command = [sys.executable, "-m", package, "sweep", "--n_trials", str(trials), "--study_name", study]
    command += ["--storage", storage] if storage else []
    command += ["--trainer.max_epochs", str(epochs), *QUIET]
    env = os.environ | ({"OMP_NUM_THREADS": str(threads)} if threads else {})
    start = time.perf_counter()
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(workers)
    ]
    for process in processes:
        _, errors = process.communicate()
        if process.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{errors.decode()[-4000:]}")
    return time.perf_counter() - start


def main() -> None:
    package, repeats, trials, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    postgresql = sys.argv[5] if len(sys.argv) > 5 else None
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cli_main = importlib.import_module(f"{package}.training.cli").main
    command_main = importlib.import_module(f"{package}.commands").main  # routes `sweep`
    lr = cli_main([], run=False).config.model.init_args.optimizer.init_args.lr
    space = json.dumps({"model.init_args.optimizer.init_args.lr": {"type": "categorical", "choices": [lr]}})
    fits, trial_times, fixed = [], [], []
    for repeat in range(repeats):
        start = time.perf_counter()
        cli_main(["fit", *QUIET])
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        # The same study each time: one more trial per command.
        study = command_main(
            ["sweep", "--n_trials", str(repeat + 1), "--parameters", space, "--study_name", "overhead", *QUIET]
        )
        elapsed = time.perf_counter() - start
        trial = study.trials[-1].duration.total_seconds()
        trial_times.append(trial)
        fixed.append(elapsed - trial)
    threads = max(1, (os.cpu_count() or 2) // 2)
    figures = {
        "fit_s": statistics.median(fits),
        "trial_s": statistics.median(trial_times),
        "sweep_fixed_s": statistics.median(fixed),
        "one_worker_s": sweep_workers(package, 1, trials, epochs, "one-worker"),
        "two_workers_s": sweep_workers(package, 2, trials, epochs, "two-workers"),
        "two_workers_threads_shared_s": sweep_workers(package, 2, trials, epochs, "two-workers-threads", threads),
        "trials": trials,
        "epochs": epochs,
        "cpus": os.cpu_count(),
    }
    if postgresql:
        figures["two_workers_postgresql_s"] = sweep_workers(
            package, 2, trials, epochs, "two-workers-postgresql", threads, storage=postgresql
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
