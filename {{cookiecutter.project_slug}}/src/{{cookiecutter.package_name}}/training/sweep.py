"""`sweep`: search hyperparameters with Optuna, each trial an ordinary `fit` run of this CLI.

    python -m {{ cookiecutter.package_name }} sweep [--config sweep.yaml] [--n_trials N] [--study_name NAME] [fit options ...]

The sweep's options come first; every option after them is a `fit` option, applied to every trial.
Results go to `<runs>/sweeps/<study>/`: each trial's run in `trial_N/`, the study's storage,
`trials.csv`, `best.yaml` (the best trial's fit config: `fit --config best.yaml`) and the plots.
Trials are judged on validation alone; once the study has all its trials, the best trial's
checkpoint is tested, once, in `test/`.
"""

from __future__ import annotations

import csv
import inspect
import json
import math
import os
import time
import warnings
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import optuna
import sqlalchemy
import yaml
from filelock import FileLock
from jsonargparse import ActionConfigFile, ArgumentParser
from lightning.pytorch import Callback, LightningModule, Trainer
from optuna.pruners import BasePruner
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial, TrialState
from optuna_integration import PyTorchLightningPruningCallback
from sqlalchemy.exc import SQLAlchemyError

from .cli import main as cli_main
from .runs import run_dir

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
# The trials that count towards n_trials: a running one will finish (a dead worker's is failed once its
# heartbeat is overdue); counting only finished ones, workers would start more than n_trials together.
COUNTED = (*FINISHED, TrialState.RUNNING)
SUGGEST = {"float": "suggest_float", "int": "suggest_int", "categorical": "suggest_categorical"}
# Statements that take and give back a lock of the database server, held by the connection: a worker
# that dies gives it back. A SQLite study's workers share a machine and lock a file beside it.
SERVER_LOCKS = {
    "postgresql": ("SELECT pg_advisory_lock(hashtext(:name))", "SELECT pg_advisory_unlock(hashtext(:name))"),
    "mysql": ("SELECT GET_LOCK(:name, -1)", "SELECT RELEASE_LOCK(:name)"),
}
# A trial's run writes a heartbeat this often; one silent for the grace period (a killed sweep's) is marked failed.
HEARTBEAT_SECONDS = 10


class TrialRecord(Callback):
    """Keep a trial's best value of `metric`, fail it when the metric or the loss stops being a
    number, and record the trial (study, number, parameters) with its run: in the logger, as
    hyperparameters, and in the study, as the trial's run folder."""

    def __init__(self, trial: optuna.Trial, metric: str, maximize: bool) -> None:
        self.trial = trial
        self.metric = metric
        self.maximize = maximize
        self.best: float | None = None

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        folder = run_dir(trainer)
        if trainer.is_global_zero:
            self.trial.set_user_attr("run", str(folder))

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        # Before the run's config: TensorBoard keeps the first hyperparameters in hparams.yaml, and
        # the HParams dashboard shows the hyperparameters of every call.
        if trainer.logger is not None:
            trial = {"sweep.study": self.trial.study.study_name, "sweep.trial": self.trial.number}
            trainer.logger.log_hyperparams({**trial, **self.trial.params})

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        for name in ("train/loss", self.metric):
            value = trainer.callback_metrics.get(name)
            if value is not None and not math.isfinite(value):
                epoch = trainer.current_epoch
                raise FloatingPointError(f"{name} is {float(value)} at epoch {epoch}: the run diverged.")
        value = float(trainer.callback_metrics[self.metric])
        if self.best is None or (value > self.best if self.maximize else value < self.best):
            self.best = value


class TrialStarts:
    """The workers of a study take turns to count its trials and start the next one. The lock is held
    from the count until the trial has started (its row is in the storage): without it, two workers
    that both count n_trials - 1 would both start one. A context: the lock is given back at its end."""

    def __init__(self, storage: str, study_name: str, n_trials: int) -> None:
        self.n_trials = n_trials
        self.held = False
        self.file: FileLock | None = None
        self.connection: sqlalchemy.Connection | None = None
        if storage.startswith("sqlite:///"):
            self.file = FileLock(f"{storage.removeprefix('sqlite:///')}.{study_name}.lock")
            return
        dialect = sqlalchemy.make_url(storage).get_backend_name()
        if dialect not in SERVER_LOCKS:
            raise ValueError(f"--storage {storage}: workers share a study on SQLite, PostgreSQL or MySQL.")
        self.connection = sqlalchemy.create_engine(storage).connect()
        self.take_statement, self.give_statement = (sqlalchemy.text(sql) for sql in SERVER_LOCKS[dialect])
        self.lock_name = {"name": f"optuna-study-{study_name}"}

    def take(self) -> None:
        if self.held:
            return
        if self.file is not None:
            self.file.acquire()
        else:
            self.connection.execute(self.take_statement, self.lock_name)
        self.held = True

    def give_back(self) -> None:
        if not self.held:
            return
        if self.file is not None:
            self.file.release()
        else:
            self.connection.execute(self.give_statement, self.lock_name)
        self.held = False

    def counted(self, study: optuna.Study) -> int:
        """The study's trials that count towards n_trials, the lock taken (and kept)."""
        self.take()
        return len(study.get_trials(deepcopy=False, states=COUNTED))

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """After each trial (an Optuna callback): stop the study once it has n_trials, or go on to start
        the next one with the lock held."""
        if self.counted(study) >= self.n_trials:
            study.stop()

    def __enter__(self) -> TrialStarts:
        return self

    def __exit__(self, *exception: object) -> None:
        self.give_back()
        if self.connection is not None:
            self.connection.close()


def sweep(
    parameters: dict[str, dict[str, Any]],
    n_trials: int = 20,
    timeout: float | None = None,
    study_name: str = "default",
    storage: str | None = None,
    metric: str | None = None,
    direction: Literal["maximize", "minimize"] | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    fit_args: list[str] | None = None,
) -> optuna.Study:
    """Search `parameters` with Optuna: every trial is a `fit` with `fit_args` and the trial's values.

    Args:
        parameters: The search space: a `fit` option's dotted path (as the command line takes it,
            without the dashes) to `{type: float|int, low, high, log, step}` or
            `{type: categorical, choices: [...]}`.
        n_trials: Trials the study has in all (complete, pruned, failed or running), counting those of
            earlier sweeps and of other workers of the same study: each worker stops at that total.
        timeout: Seconds after which this worker starts no new trial.
        study_name: The study, and its folder `<runs>/sweeps/<study_name>/`; an existing study goes on.
        storage: An Optuna storage URL shared by every worker, on any machine: PostgreSQL
            (`postgresql+psycopg://user:password@host/database`, with `pip install .[postgres]`) or
            MySQL; null: SQLite in the study's folder, for the workers of one machine.
        metric: A validation metric (`val/acc`, `val/loss`, ...) or `train/loss`; null: the metric the
            best checkpoint watches.
        direction: maximize or minimize the metric; null: as its torchmetrics metric says (losses: minimize).
        sampler: Optuna's sampler (class_path and init_args); null: Optuna's default.
        pruner: Optuna's pruner, which stops unpromising trials after a validation; null: no pruning.
        fit_args: `fit` options applied to every trial.
    """
    fit_args = ["--trainer.devices=1", *(fit_args or [])]  # one process per trial: workers scale out
    # Before the first trial: a throwaway trial draws every parameter once (a bad range is refused), and
    # the CLI is built with those values without running (bad options, metric names, folders).
    draft = optuna.create_study(storage=optuna.storages.InMemoryStorage()).ask()
    some_values = {path: suggest(draft, path, spec) for path, spec in parameters.items()}
    probe = cli_main([*fit_args, *as_options(some_values)], run=False)
    if probe.trainer.world_size > 1:
        raise ValueError("sweep runs each trial in its own process: run one sweep worker per device instead.")
    # What the runs log, and whether higher is better (torchmetrics knows it of its metrics).
    logged = {"train/loss": False, "val/loss": False}
    logged |= {name: value.higher_is_better for name, value in probe.model.val_metrics.items()}
    metric = metric or probe.trainer.checkpoint_callback.monitor
    if metric not in logged:
        raise ValueError(f"metric {metric!r} is not logged by the runs: choose one of {', '.join(logged)}.")
    if direction is None and logged[metric] is None:
        raise ValueError(f"metric {metric!r}: give its direction, --direction maximize or minimize.")
    maximize = direction == "maximize" if direction else logged[metric]
    folder = Path(probe.trainer.default_root_dir) / "sweeps" / study_name
    folder.mkdir(parents=True, exist_ok=True)
    storage = storage or f"sqlite:///{folder / 'study.db'}"
    study = optuna.create_study(
        storage=open_storage(storage),
        study_name=study_name,
        direction="maximize" if maximize else "minimize",
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )

    trials_run_here = []
    starts = TrialStarts(storage, study_name, n_trials)

    def objective(trial: optuna.Trial) -> float:
        starts.give_back()  # the trial has started: the other workers may count it
        if sampler is not None and trial.number != len(trials_run_here):
            # Other workers, or earlier sweeps, drew trials of this study too: with the same seed this
            # worker would draw theirs again. A lone worker keeps its seed, and its sweep repeats.
            sampler.reseed_rng()
        trials_run_here.append(trial.number)
        record = TrialRecord(trial, metric, maximize)
        callbacks: list[Callback] = [record]
        if pruner is not None:
            callbacks.append(PyTorchLightningPruningCallback(trial, monitor=metric))
        try:
            values = {path: suggest(trial, path, spec) for path, spec in parameters.items()}
            trial_folder = f"--trainer.default_root_dir={folder / f'trial_{trial.number}'}"
            cli_main(["fit", *fit_args, trial_folder, *as_options(values)], callbacks=callbacks, test_after_fit=False)
        except optuna.TrialPruned:
            raise
        except Exception as error:
            trial.set_user_attr("fail_reason", f"{type(error).__name__}: {error}")
            raise
        if record.best is None:
            raise RuntimeError(f"{metric} was never computed: the run validated no epoch.")
        return record.best

    with starts:
        counted = starts.counted(study)
        if counted < n_trials:
            study.optimize(
                objective,
                n_trials=n_trials - counted,
                timeout=timeout,
                catch=(Exception,),
                callbacks=[lambda *_: write_results(study, folder), starts],
            )
    write_results(study, folder)
    write_plots(study, folder, metric)
    if len(study.get_trials(deepcopy=False, states=FINISHED)) == len(study.trials) >= n_trials:
        test_best_trial(study, folder)
    return study


def test_best_trial(study: optuna.Study, folder: Path) -> None:
    """Test the best trial's checkpoint on the test split, once the study is done: the one look at the
    test split that the search allows itself, in `<study folder>/test/`."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return
    run = Path(study.best_trial.user_attrs["run"])
    test = [
        "test",
        "--config",
        str(run / "config.yaml"),
        "--ckpt_path",
        str(run / "checkpoints" / "best.ckpt"),
        f"--trainer.default_root_dir={folder / 'test'}",
    ]
    cli = cli_main(test)
    print(f"Trial {study.best_trial.number}, the best, tested in {run_dir(cli.trainer)}")


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """The study's database, its tables made if it has none yet."""
    try:
        return rdb_storage(url)
    except SQLAlchemyError:
        # Workers started together all make the tables: the ones that lose find them made.
        time.sleep(1)
        return rdb_storage(url)


def rdb_storage(url: str) -> optuna.storages.RDBStorage:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats, since Optuna 2.9
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT_SECONDS,
            # SQLite lets one process write at a time: the others wait their turn, not fail.
            engine_kwargs={"connect_args": {"timeout": 60}} if url.startswith("sqlite") else None,
        )


def as_options(values: dict[str, Any]) -> list[str]:
    # As the command line reads values: a string as it is (a class path, a choice), the rest as JSON.
    return [f"--{path}={value if isinstance(value, str) else json.dumps(value)}" for path, value in values.items()]


def suggest(trial: optuna.Trial, path: str, spec: dict[str, Any]) -> Any:
    """The trial's value of the parameter `path`, from its spec in the search space."""
    arguments = dict(spec)
    kind = arguments.pop("type", None)
    if kind not in SUGGEST:
        raise ValueError(f"parameters.{path}: type is {kind!r}; it must be one of {', '.join(SUGGEST)}.")
    try:
        return getattr(trial, SUGGEST[kind])(path, **arguments)
    except (TypeError, ValueError) as error:  # a key of another type, a range Optuna refuses
        raise ValueError(f"parameters.{path}: {error}") from None


def write_results(study: optuna.Study, folder: Path) -> None:
    """`trials.csv`, and `best.yaml`: the best trial's fit config, as `fit --config` takes it."""
    trials = study.get_trials(deepcopy=False)
    names = sorted({name for trial in trials for name in trial.params})
    rows = [
        [
            trial.number,
            trial.state.name,
            trial.value,
            *(trial.params.get(name) for name in names),
            trial.duration.total_seconds() if trial.duration else None,
            trial.user_attrs.get("run"),
            trial.user_attrs.get("fail_reason"),
        ]
        for trial in trials
    ]
    header = ["number", "state", "value", *names, "duration_s", "run", "fail_reason"]
    # Whole files, replaced at once: several workers of one study write them.
    replace(folder / "trials.csv", lambda file: csv.writer(file, lineterminator="\n").writerows([header, *rows]))
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return
    best = study.best_trial
    config = yaml.safe_load((Path(best.user_attrs["run"]) / "config.yaml").read_text())
    # A fit of this config is a new run among the user's, not one more trial.
    config["trainer"]["default_root_dir"] = str(folder.parent.parent)
    heading = f"# Trial {best.number} of study {study.study_name}: {study.best_value} ({best.user_attrs['run']})\n"
    replace(folder / "best.yaml", lambda file: file.write(heading + yaml.safe_dump(config, sort_keys=False)))


def replace(path: Path, write: Any) -> None:
    """Write `path` with `write(file)` through a temporary file: readers never see half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    with temporary.open("w", newline="") as file:
        write(file)
    temporary.replace(path)


def write_plots(study: optuna.Study, folder: Path, metric: str) -> None:
    """Optuna's optimization history and parameter importances, as PNG files."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    from matplotlib import pyplot
    from optuna.visualization import matplotlib as plots

    for name, plot in (
        ("optimization_history", plots.plot_optimization_history),
        ("param_importances", plots.plot_param_importances),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                axes = plot(study, target_name=metric)
            except (ValueError, RuntimeError) as error:  # e.g. importances need two complete trials
                print(f"{name}.png not drawn: {error}")
                continue
        axes.figure.savefig(folder / f"{name}.png", dpi=100, bbox_inches="tight")
        pyplot.close(axes.figure)


def main(args: list[str], prog: str) -> optuna.Study:
    """Run `sweep` with the command line's `args`: the sweep's options, then fit options."""
    parser = ArgumentParser(
        prog=prog,
        description=__doc__.split("\n")[0],
        default_config_files=[str(files("{{ cookiecutter.package_name }}") / "configs" / "sweep.yaml")],
        epilog="Every option after these is a fit option (see `fit --help`), applied to every trial.",
    )
    parser.add_argument("--config", action=ActionConfigFile, help="A sweep config, as configs/sweep.yaml.")
    parser.add_function_arguments(sweep, skip={"fit_args"})
    # The sweep's options (--name value, --name=value, --sampler.init_args.seed 1), up to the first fit option.
    own = {"config", *inspect.signature(sweep).parameters} - {"fit_args"}
    position = 0
    while position < len(args) and (args[position] in ("-h", "--help") or option_name(args[position]) in own):
        position += 1 if "=" in args[position] or args[position] in ("-h", "--help") else 2
    misplaced = [arg for arg in args[position:] if arg.startswith("--") and option_name(arg) in own - {"config"}]
    if misplaced:
        parser.error(f"{misplaced[0]} is an option of the sweep: give it before the fit options.")
    config = parser.instantiate_classes(parser.parse_args(args[:position]))
    config.pop("config", None)
    with warnings.catch_warnings():
        # The trials are given their arguments on purpose, while sys.argv holds the sweep's.
        warnings.filterwarnings("ignore", "LightningCLI's args parameter is intended")
        return sweep(**config.as_dict(), fit_args=args[position:])


def option_name(argument: str) -> str:
    """`--sampler.init_args.seed=1` -> `sampler`."""
    return argument.removeprefix("--").split("=", 1)[0].split(".", 1)[0]
