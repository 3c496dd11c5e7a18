"""`sweep`: a study of real `fit` trials, its results, its refusals, and workers sharing it."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.pruners import BasePruner
from optuna.trial import FrozenTrial, TrialState
from PIL import Image
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.package_name }}.commands import main
from {{ cookiecutter.package_name }}.training.runs import find_checkpoint, run_dir
from {{ cookiecutter.package_name }}.training.sweep import TrialStarts

from .postgres import throwaway_server
from .processes import start_cli

SHORT_TRIALS = ["--trainer.max_epochs", "2", "--trainer.enable_progress_bar", "false"]
LR = "model.init_args.optimizer.init_args.lr"


class PruneOnceATrialIsComplete(BasePruner):
    """Prune every trial at its first report, once the study has a complete trial."""

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        return bool(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def read_trials(study: str = "default") -> list[dict[str, str]]:
    with (Path("runs/sweeps") / study / "trials.csv").open() as file:
        return list(csv.DictReader(file))


def stored_study(study: str = "default") -> optuna.Study:
    return optuna.load_study(study_name=study, storage=f"sqlite:///runs/sweeps/{study}/study.db")


def test_a_study_ends_with_its_trials_best_config_and_plots(data_args: list[str]) -> None:
    study = main(["sweep", "--n_trials", "3", *data_args, "--trainer.max_epochs", "1", *SHORT_TRIALS[2:]])
    trials = read_trials()
    assert [row["state"] for row in trials] == ["COMPLETE"] * 3
    runs = [Path(row["run"]) for row in trials]
    assert len(set(runs)) == 3, "trials shared a run folder"
    for row, run in zip(trials, runs, strict=True):
        # Among the study's files, apart from the user's runs; judged on validation, never tested.
        assert Path(f"runs/sweeps/default/trial_{row['number']}") in run.parents
        assert not (run / "report.html").exists(), "a trial was tested"
        config = yaml.safe_load((run / "config.yaml").read_text())
        # The trial's values are in its run's config, as the task's search space names them.
        assert config["model"]["init_args"]["optimizer"]["init_args"]["lr"] == pytest.approx(float(row[LR]))
        assert (run / "checkpoints" / "best.ckpt").is_file()
        logged = run / "hparams.yaml"
        if logged.exists():  # TensorBoard's and CSV's record of what the run logged as hyperparameters
            assert yaml.safe_load(logged.read_text())["sweep.trial"] == int(row["number"])
    for name in ("optimization_history.png", "param_importances.png"):
        with Image.open(Path("runs/sweeps/default") / name) as image:
            assert min(image.size) >= 200, name
    # The one look at the test split: the best trial's checkpoint, once the study has its trials.
    (tested,) = Path("runs/sweeps/default/test").rglob("config.yaml")
    best_run = runs[[int(row["number"]) for row in trials].index(study.best_trial.number)]
    assert yaml.safe_load(tested.read_text())["ckpt_path"] == str(best_run / "checkpoints" / "best.ckpt")
    assert (tested.parent / "report.html").is_file()
    with pytest.raises(FileNotFoundError, match="no run under runs has finished a fit"):
        find_checkpoint("best", "runs")  # the trials are not the user's runs
    best = Path("runs/sweeps/default/best.yaml")
    refit = main(["fit", "--config", str(best), "--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false"])
    assert refit.config.fit.model.init_args.optimizer.init_args.lr == pytest.approx(study.best_params[LR])
    assert run_dir(refit.trainer).resolve() not in {run.resolve() for run in runs}, "the fit took a trial's folder"


def test_a_metric_the_runs_never_log_is_refused_with_the_logged_ones(data_args: list[str]) -> None:
    with pytest.raises(ValueError, match=r"'val/accuracy' is not logged .*val/loss"):
        main(["sweep", "--metric", "val/accuracy", *data_args, *SHORT_TRIALS])
    assert not Path("runs/sweeps/default/study.db").exists(), "a study began before the metric was checked"


def test_a_bad_range_is_refused_before_the_first_trial(data_args: list[str]) -> None:
    space = {LR: {"type": "float", "low": 0.1, "high": 0.01}}
    with pytest.raises(ValueError, match=f"parameters.{LR}"):
        main(["sweep", "--parameters", json.dumps(space), *data_args, *SHORT_TRIALS])
    assert not Path("runs/sweeps/default/study.db").exists()


def test_a_sweep_option_after_the_fit_options_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sweep", "--trainer.max_epochs", "1", "--n_trials", "2"])
    assert "--n_trials is an option of the sweep: give it before the fit options" in capsys.readouterr().err


def test_another_metric_is_optimized_in_its_own_direction(data_args: list[str]) -> None:
    study = main(["sweep", "--metric", "val/loss", "--n_trials", "0", *data_args, *SHORT_TRIALS])
    assert study.direction == optuna.study.StudyDirection.MINIMIZE


@pytest.mark.slow
def test_failed_and_pruned_trials_are_recorded_and_the_study_goes_on(data_args: list[str]) -> None:
    # The study exists already (the sweep goes on with it), its first trials queued: one that
    # fails (a negative learning rate), then two that train until the pruner stops the second.
    Path("runs/sweeps/default").mkdir(parents=True)
    queued = optuna.create_study(
        study_name="default", storage="sqlite:///runs/sweeps/default/study.db", direction="maximize"
    )
    for lr in (-1.0, 0.003, 0.003):
        queued.enqueue_trial({LR: lr})
    pruner = {"class_path": f"{__name__}.PruneOnceATrialIsComplete"}
    space = {LR: {"type": "float", "low": -1.0, "high": 1e-2}}
    args = ["--n_trials", "3", "--parameters", json.dumps(space), "--pruner", json.dumps(pruner)]
    main(["sweep", *args, *data_args, "--trainer.max_epochs", "3", "--trainer.enable_progress_bar", "false"])
    trials = read_trials()
    assert [row["state"] for row in trials] == ["FAIL", "COMPLETE", "PRUNED"]
    assert "learning rate" in trials[0]["fail_reason"]
    pruned = stored_study().trials[2]
    assert list(pruned.intermediate_values) == [0], "the pruned trial went on after its first validation"


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with throwaway_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A study's storage: SQLite, as a sweep makes it by default, or a PostgreSQL server's."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return request.getfixturevalue("postgres")


def test_workers_count_and_start_trials_in_turn(storage: str) -> None:
    study = optuna.create_study(storage=storage, study_name=f"turns-{uuid.uuid4().hex}")
    first, second = (TrialStarts(storage, study.study_name, n_trials=2) for _ in range(2))
    with first, second:
        assert first.counted(study) == 0
        counts = []
        other = threading.Thread(target=lambda: counts.append(second.counted(study)))
        other.start()
        other.join(timeout=2)
        assert other.is_alive(), "the second worker counted while the first was starting its trial"
        study.ask()
        first.give_back()
        other.join(timeout=60)
        assert counts == [1], "the second worker did not count the trial the first started"


@pytest.mark.slow
def test_two_workers_share_one_study(data_args: list[str], storage: str, tmp_path: Path) -> None:
    study_name = f"shared-{uuid.uuid4().hex}"
    args = ["--n_trials", "4", "--study_name", study_name, "--storage", storage, *data_args, *SHORT_TRIALS]
    workers = [start_cli(["sweep", *args], tmp_path) for _ in range(2)]
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, output[-5000:]
    trials = optuna.load_study(study_name=study_name, storage=storage).trials
    # Each worker counts the trials and starts one in its turn: 4 in all, whichever worker ran them.
    assert [trial.state for trial in trials] == [TrialState.COMPLETE] * 4
    assert [trial.number for trial in trials] == [0, 1, 2, 3]
    # The workers share a seed: each still draws trials of its own.
    assert len({json.dumps(trial.params, sort_keys=True) for trial in trials}) == 4
    assert len({trial.user_attrs["run"] for trial in trials}) == 4, "trials shared a run folder"
    assert all(any(f"Trial {trial.number} finished" in output for output in outputs) for trial in trials)


@pytest.mark.slow
def test_a_sweep_killed_mid_trial_goes_on_when_started_again(data_args: list[str], tmp_path: Path) -> None:
    args = ["--n_trials", "3", *data_args, "--trainer.max_epochs", "20", "--trainer.enable_progress_bar", "false"]
    worker = start_cli(["sweep", *args], tmp_path)
    study = tmp_path / "runs/sweeps/default/study.db"
    deadline = time.monotonic() + 300
    # Killed while its second trial trains, its first one finished.
    while not (study.exists() and len(started_trials()) >= 2):
        assert worker.poll() is None and time.monotonic() < deadline, worker.communicate()[0][-5000:]
        time.sleep(0.5)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.communicate()
    first = stored_study().trials[0]
    assert first.state == TrialState.COMPLETE
    restarted = start_cli(["sweep", "--n_trials", "3", *data_args, *SHORT_TRIALS], tmp_path)
    output = restarted.communicate(timeout=600)[0]
    assert restarted.returncode == 0, output[-5000:]
    trials = stored_study().trials
    assert trials[0].value == first.value, "the finished trial was not kept"
    # The killed trial counts: failed once its heartbeat is overdue, still running until then.
    assert [trial.state for trial in trials[::2]] == [TrialState.COMPLETE] * 2
    assert len(trials) == 3 and trials[1].state in (TrialState.FAIL, TrialState.RUNNING)


def started_trials() -> list[FrozenTrial]:
    """The trials a running sweep has started, read from its storage."""
    try:
        return stored_study().trials
    except (KeyError, SQLAlchemyError):  # the worker is making the study's tables, or the study
        return []
