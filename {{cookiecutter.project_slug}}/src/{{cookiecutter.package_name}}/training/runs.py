"""Where a run keeps its files, how a stopped run goes on, and which checkpoints `best` and `last` name."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import yaml
from jsonargparse import Namespace
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.plugins.environments import SLURMEnvironment
from lightning.pytorch.utilities import rank_zero_only
from lightning.pytorch.utilities.exceptions import SIGTERMException

# The init argument that names a logger's run, by logger class: set to a run folder's name, the
# logger goes on writing to that run (the folder Lightning gives a run is named after it).
RUN_NAME_ARGUMENT = {
    "TensorBoardLogger": "version",
    "CSVLogger": "version",
    "WandbLogger": "id",
    "MLFlowLogger": "run_id",
}
CHECKPOINT_NAMES = ("last", "best")
# Where `trainer.default_root_dir` puts runs by default, and where `export` and `serve` look for `best` and `last`.
RUNS_DIR = "runs"
# Under the runs folder: the sweeps' trials, the cross-validations' folds and the repeats' seeds,
# which `best` and `last` never name.
SWEEPS_DIR = "sweeps"
CV_DIR = "cv"
REPEATS_DIR = "repeats"
# In each run's folder: what the run resolved (precision, devices) and whether it finished.
SUMMARY_FILE = "run.yaml"
# A path option of a logger that starts with the packaged runs folder follows `trainer.default_root_dir`.
SQLITE_PREFIX = "sqlite:///"
# A tracking server keeps a run's files where it was started to (`mlflow server --artifacts-destination`).
SERVER_SCHEMES = ("http://", "https://")


def run_dir(trainer: Trainer) -> Path:
    """The run's own folder, the parent of its `checkpoints/`, whatever the logger:
    `save_dir/name/version` of the logger (TensorBoard and CSV: `runs/<project>/version_N`;
    W&B: `runs/<project>/<run id>`; MLflow: `runs/<experiment id>/<run id>`), or
    `default_root_dir` without one, as Lightning places checkpoints.

    Call it on every process: each gets rank zero's answer (other ranks' loggers may not know the run).
    """
    if trainer.loggers:
        logger = trainer.loggers[0]
        version = logger.version if isinstance(logger.version, str) else f"version_{logger.version}"
        folder = os.path.join(logger.save_dir or trainer.default_root_dir, str(logger.name), version)
    else:
        folder = trainer.default_root_dir
    return Path(trainer.strategy.broadcast(folder))


def find_checkpoint(name: str, root: str | Path) -> str:
    """`best`: the best checkpoint of the newest run under `root` whose `fit` finished; `last`: the
    newest `last.ckpt` under `root`, finished or not (what a stopped run resumes from). Sweep trials
    count for neither. Any other name is a path, returned as it is. Says which file it took."""
    if name not in CHECKPOINT_NAMES:
        return name
    root = Path(root)
    if name == "best":
        finished = [(summary["finished"], folder) for folder, summary in run_summaries(root) if "finished" in summary]
        found = [folder / "checkpoints" / "best.ckpt" for _, folder in sorted(finished)]
        found = [path for path in found if path.is_file()]
        missing = f"no run under {root} has finished a fit with a checkpoints/best.ckpt yet"
    else:
        found = sorted(outside_sweeps(root, "**/checkpoints/last.ckpt"), key=lambda path: path.stat().st_mtime)
        missing = f"no run under {root} has a checkpoints/last.ckpt yet"
    if not found:
        raise FileNotFoundError(f"--ckpt_path {name}: {missing}.")
    if rank_zero_only.rank == 0:
        print(f"--ckpt_path {name}: {found[-1]}", file=sys.stderr)
    return str(found[-1])


def outside_sweeps(root: Path, pattern: str) -> list[Path]:
    """The paths under `root` that match `pattern`, but for those of the sweeps' trials, the
    cross-validations' folds and the repeats' seeds."""
    apart = (root / SWEEPS_DIR, root / CV_DIR, root / REPEATS_DIR)
    return [path for path in root.glob(pattern) if not any(folder in path.parents for folder in apart)]


def run_summaries(root: Path) -> list[tuple[Path, dict]]:
    """Each run folder under `root` (sweep trials aside) with its summary."""
    summaries = outside_sweeps(root, f"**/{SUMMARY_FILE}")
    return [(path.parent, yaml.safe_load(path.read_text()) or {}) for path in summaries]


def write_summary(folder: Path, **values: object) -> None:
    """Add `values` to the run's summary, `<run>/run.yaml`."""
    path = folder / SUMMARY_FILE
    summary = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
    path.write_text(yaml.safe_dump(summary | values, sort_keys=False))


def now() -> str:
    """UTC, to the microsecond: the times of runs sort as their text does."""
    return datetime.now(timezone.utc).isoformat()


def mark_finished(trainer: Trainer) -> None:
    """Record in the run's summary that its `fit` finished (from then on, its best checkpoint is
    `best`), and the best value of the metric its checkpoint followed."""
    folder = run_dir(trainer)
    checkpoint = trainer.checkpoint_callback
    best = {}
    if checkpoint is not None and checkpoint.best_model_score is not None:
        best = {"best": {checkpoint.monitor: float(checkpoint.best_model_score)}}
    if trainer.is_global_zero:
        write_summary(folder, status="finished", finished=now(), **best)


def requeued_checkpoint(root: str | Path) -> str | None:
    """Under SLURM, the newest `hpc_ckpt_*.ckpt` under `root`: what Lightning saved when SLURM
    signalled the job before its time limit, and the point the requeued job goes on from."""
    if not SLURMEnvironment.detect():
        return None
    found = sorted(Path(root).rglob("hpc_ckpt_*.ckpt"), key=lambda path: path.stat().st_mtime)
    return str(found[-1]) if found else None


def new_run_folder(root: str | Path) -> str:
    """A new `root/version_N` for a run without a logger, N one more than the largest there.

    Rank zero creates it; the other processes of a distributed run, started after it, take the
    newest one (their checkpoint folder is rank zero's anyway).
    """
    root = Path(root)
    numbers = [int(path.name[8:]) for path in root.glob("version_*") if path.name[8:].isdigit()]
    number = max(numbers, default=-1) + 1
    if rank_zero_only.rank != 0:
        return str(root / f"version_{max(number - 1, 0)}")
    while True:
        try:
            (root / f"version_{number}").mkdir(parents=True)
        except FileExistsError:  # another run took it meanwhile
            number += 1
        else:
            return str(root / f"version_{number}")


def reserve_run_folder(trainer: Trainer) -> None:
    """Give a new run a folder that no other run takes, even one started at the same moment (a
    sweep's workers): a new version N of TensorBoard and CSV, which would give runs started together
    the same one; without a logger, a new `version_N` under the runs folder as the trainer's root.

    Set on the trainer and its logger, not in the config: the run's `config.yaml` keeps what was
    asked (`version: null`, the runs folder), so `fit --config <run>/config.yaml` makes a new run.
    """
    logger = trainer.logger
    if logger is None:
        trainer._default_root_dir = new_run_folder(trainer.default_root_dir)
    elif isinstance(logger, (TensorBoardLogger, CSVLogger)) and logger._version is None:
        logger._version = int(Path(new_run_folder(logger.root_dir)).name.removeprefix("version_"))


def continue_run(trainer_config: Namespace, checkpoint: str) -> None:
    """Have the run resumed from `checkpoint` (in `<run>/checkpoints/`, or an `hpc_ckpt` in the
    root folder of a run without a logger) go on in `<run>`: the logger's run of that name
    (TensorBoard or CSV version, W&B id, MLflow run id), or `<run>` as the root folder without a logger."""
    path = Path(checkpoint)
    if path.parent.name == "checkpoints":
        run = path.parent.parent
    elif path.name.startswith("hpc_ckpt_") and not trainer_config.logger:
        run = path.parent
    else:
        return
    logger = trainer_config.logger
    if isinstance(logger, list):
        logger = logger[0] if logger else None
    if not isinstance(logger, Namespace):
        trainer_config.default_root_dir = str(run)
        return
    argument = RUN_NAME_ARGUMENT.get(logger.class_path.rpartition(".")[2])
    if logger.class_path.endswith(".CSVLogger"):
        keep_csv_metrics(run)
    if argument:
        # TensorBoard and CSV name the folder of version N `version_N`.
        number = run.name.removeprefix("version_")
        logger.init_args[argument] = int(number) if argument == "version" and number.isdigit() else run.name


def loggers_of(trainer_config: Namespace) -> list[Namespace]:
    """The loggers of a trainer's config (class_path and init_args), none for `logger: false`."""
    loggers = trainer_config.logger
    loggers = loggers if isinstance(loggers, list) else [loggers]
    return [logger for logger in loggers if isinstance(logger, Namespace)]


def follow_runs_root(trainer_config: Namespace) -> None:
    """Have the loggers write under `trainer.default_root_dir`: a path option of a logger that the
    packaged config points into `runs` (save_dir, MLflow's store and artifacts) is moved under the
    root the run was given. A path the user set elsewhere stays; a SQLite store's becomes absolute.
    Given a tracking server's URL, the packaged artifact folder goes: the server keeps the artifacts."""
    root = str(trainer_config.default_root_dir)

    def in_runs(path: object) -> bool:
        return isinstance(path, str) and (path == RUNS_DIR or path.startswith(f"{RUNS_DIR}/"))

    for logger in loggers_of(trainer_config):
        server = str(logger.init_args.get("tracking_uri")).startswith(SERVER_SCHEMES)
        if server and in_runs(logger.init_args.get("artifact_location")):
            # The packaged folder of a local store's artifacts: a server's client sends them to it instead.
            logger.init_args.artifact_location = None
        for option, value in logger.init_args.items():
            if not isinstance(value, str):
                continue
            scheme = SQLITE_PREFIX if value.startswith(SQLITE_PREFIX) else ""
            path = value.removeprefix(scheme)
            if in_runs(path):
                path = root + path.removeprefix(RUNS_DIR)
            if scheme:
                # MLflow keeps one store per URI in a process: a relative one would stay in the first folder.
                path = str(Path(path).absolute())
            logger.init_args[option] = scheme + path


def keep_csv_metrics(run: Path) -> None:
    """CSVLogger deletes the `metrics.csv` of a folder it opens again: a resumed run's earlier
    epochs move to `metrics-until-resume-N.csv` first."""
    metrics = run / "metrics.csv"
    if rank_zero_only.rank == 0 and metrics.exists():
        metrics.rename(run / f"metrics-until-resume-{len(list(run.glob('metrics-until-resume-*')))}.csv")


class InterruptCheckpoint(Callback):
    """Save `<run>/checkpoints/interrupted.ckpt` when `fit` stops early: on SIGTERM (what a
    cluster scheduler sends before it kills a job), Ctrl+C or an error.
    `fit --ckpt_path <run>/checkpoints/interrupted.ckpt` goes on from there.

    A plain callback rather than Lightning's OnExceptionCheckpoint, which needs its folder
    before the run has one and, as a Checkpoint, would stand in for `trainer.checkpoint_callback`.
    """

    def __init__(self) -> None:
        self.path: Path | None = None

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Found here, on every process together: `run_dir` is collective, an exception is not.
        self.path = run_dir(trainer) / "checkpoints" / "interrupted.ckpt"

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if self.path is None or trainer.global_step == 0:  # nothing trained, nothing to resume
            return
        if trainer.world_size > 1 and not isinstance(exception, SIGTERMException):
            # One process failed on its own: saving is collective, and the others would wait for it
            # forever. Lightning stops every process on SIGTERM together, so only then is there a save.
            return
        trainer.save_checkpoint(self.path)
