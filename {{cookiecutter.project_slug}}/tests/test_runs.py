"""Runs are records: every run of every subcommand has a folder of its own with its config; a
resumed run goes on in its folder and its logger's run; the schedule follows the run's length;
the project's own configuration raises no warning."""

from __future__ import annotations

import os
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
import torch
import yaml

from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import find_checkpoint, run_dir, write_summary

from .conftest import TrainedRun

# What a short fit on the tiny data needs: a warning about them comes from the test, not the project.
SHORT_FIT = ["--trainer.max_epochs", "1", "--trainer.log_every_n_steps", "1", "--trainer.enable_progress_bar", "false"]
# Warnings caused by the tests' own settings (tiny data loaded in the test process, the command
# line called in process), and those Lightning raises about itself; any other is the project's doing.
NOT_THE_PROJECTS = ("does not have many workers", "args parameter is intended", "isinstance(treespec, LeafSpec)")


def saved_config(run: Path) -> dict:
    return yaml.safe_load((run / "config.yaml").read_text())


def test_runs_never_share_a_folder_and_a_resumed_run_goes_on_in_its_own(data_args: list[str]) -> None:
    first = main(["fit", *data_args, *SHORT_FIT])
    first_folder = run_dir(first.trainer)
    # A run's config is a config to fit again, as a new run.
    second = main(["fit", "--config", str(first_folder / "config.yaml")])
    second_folder = run_dir(second.trainer)
    assert first_folder != second_folder
    assert first_folder.parent == second_folder.parent
    for folder in (first_folder, second_folder):
        assert (folder / "config.yaml").is_file()
        assert (folder / "splits.csv").is_file()
        assert (folder / "checkpoints" / "last.ckpt").is_file()

    # `last` is the newest last.ckpt: the second run's. Resumed, it goes on in that run's folder
    # and the logger's run of that folder.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = main(["fit", *data_args, *SHORT_FIT, "--trainer.max_epochs", "2", "--ckpt_path", "last"])
    raised = [str(warning.message) for warning in caught]
    assert [message for message in raised if not any(known in message for known in NOT_THE_PROJECTS)] == []
    assert run_dir(resumed.trainer) == second_folder
    if resumed.trainer.logger is not None:
        assert resumed.trainer.logger.version == second.trainer.logger.version
    # The run's first config stays; the resumed part's is beside it.
    assert saved_config(second_folder)["ckpt_path"] is None
    resumed_config = yaml.safe_load((second_folder / "config-resumed-0.yaml").read_text())
    assert resumed_config["ckpt_path"] == str(second_folder / "checkpoints" / "last.ckpt")
    last = torch.load(second_folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["epoch"] == 1
    # The learning curves go on: the epoch before the resume and the one after.
    assert [row["epoch"] for row in last["callbacks"]["Plots"]["history"]] == [0, 1]


def test_the_learning_rate_schedule_spans_the_run(trained_run: TrainedRun) -> None:
    trainer = trained_run.cli.trainer
    schedule = trainer.lr_scheduler_configs[0].scheduler
    assert schedule.T_max == trainer.estimated_stepping_batches == trainer.global_step
    # The cosine has reached its end when the run ends: 2 epochs, not the 20 of the config.
    assert schedule.get_last_lr()[0] == pytest.approx(0.0, abs=1e-9)


def test_every_command_keeps_its_config_in_its_own_folder_and_raises_no_warning(data_args: list[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = main(["fit", *data_args, *SHORT_FIT])
        checkpoint = run_dir(fit.trainer) / "checkpoints" / "best.ckpt"
        folders = {run_dir(fit.trainer)}
        for subcommand in ("validate", "test", "predict"):
            cli = main([subcommand, *data_args, *SHORT_FIT[2:], "--ckpt_path", str(checkpoint)])
            folder = run_dir(cli.trainer)
            assert folder not in folders, f"{subcommand} wrote into another run's folder"
            folders.add(folder)
            # Which checkpoint was evaluated is part of the record.
            assert saved_config(folder)["ckpt_path"] == str(checkpoint)
            if subcommand == "test":  # its plots, the learning curves of the checkpoint's run among them
                assert (folder / "report.html").is_file()
                assert (folder / "plots" / "learning_curves.png").is_file()
    raised = [str(warning.message) for warning in caught]
    assert [message for message in raised if not any(known in message for known in NOT_THE_PROJECTS)] == []


def test_the_config_keeps_what_was_asked_and_the_summary_what_the_run_resolved(trained_run: TrainedRun) -> None:
    # `precision: null` is resolved at run time (bf16 on a recent GPU): a config run again on a GPU must not get fp32.
    assert saved_config(trained_run.folder)["trainer"]["precision"] is None
    summary = yaml.safe_load((trained_run.folder / "run.yaml").read_text())
    assert summary["precision"] == trained_run.cli.trainer.precision == "32-true"
    assert summary["command"] == "fit"
    assert summary["status"] == "finished"


def test_every_file_a_run_writes_ends_its_lines_with_a_newline_alone(trained_run: TrainedRun) -> None:
    # The CSV logger's metrics files are Lightning's: its csv module ends their lines with \r\n.
    written = [
        path
        for path in trained_run.folder.rglob("*")
        if path.suffix in (".csv", ".yaml", ".json", ".html") and not path.name.startswith("metrics")
    ]
    assert any(path.name == "splits.csv" for path in written)
    for path in written:
        assert b"\r\n" not in path.read_bytes(), path


def test_a_run_without_a_logger_trains(data_args: list[str]) -> None:
    cli = main(["fit", *data_args, *SHORT_FIT, "--trainer.logger", "false"])
    assert cli.trainer.state.finished
    assert (run_dir(cli.trainer) / "checkpoints" / "best.ckpt").is_file()


def test_the_runs_folder_is_one_setting_that_every_run_follows(data_args: list[str], isolated: Path) -> None:
    fit = main(["fit", *data_args, *SHORT_FIT, "--trainer.default_root_dir", "elsewhere"])
    folder = run_dir(fit.trainer).resolve()
    assert (isolated / "elsewhere") in folder.parents
    # The logger's own files too: nothing lands in the packaged default, runs/.
    assert not (isolated / "runs").exists() or not any((isolated / "runs").iterdir())
    validate = ["validate", *data_args, *SHORT_FIT[2:], "--trainer.default_root_dir", "elsewhere"]
    evaluated = main([*validate, "--ckpt_path", "best"])
    assert evaluated.config.validate.ckpt_path == str(folder.relative_to(isolated) / "checkpoints" / "best.ckpt")
    assert (isolated / "elsewhere") in run_dir(evaluated.trainer).resolve().parents


def test_a_fit_that_fails_before_its_first_step_leaves_no_folder(data_args: list[str], isolated: Path) -> None:
    with pytest.raises(ValueError, match="Invalid learning rate"):
        main(["fit", *data_args, *SHORT_FIT, "--model.init_args.optimizer.init_args.lr", "-1"])
    assert not list(isolated.rglob("config.yaml"))
    assert not [path for path in isolated.rglob("version_*") if path.is_dir()]


def fake_run(folder: Path, age: float, finished: bool) -> None:
    """A run folder with a best and a last checkpoint, written `age` seconds ago."""
    (folder / "checkpoints").mkdir(parents=True)
    for name in ("best", "last"):
        checkpoint = folder / "checkpoints" / f"{name}.ckpt"
        checkpoint.write_bytes(b"")
        os.utime(checkpoint, (time.time() - age, time.time() - age))
    write_summary(folder, command="fit", status="finished" if finished else "running")
    if finished:
        write_summary(folder, finished=datetime.fromtimestamp(time.time() - age, timezone.utc).isoformat())


def test_best_is_the_best_checkpoint_of_the_run_that_finished_last(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_run(isolated / "runs" / "older", age=300, finished=True)
    fake_run(isolated / "runs" / "newer", age=200, finished=True)
    fake_run(isolated / "runs" / "stopped", age=100, finished=False)
    fake_run(isolated / "runs" / "sweeps" / "study" / "trial_0", age=0, finished=True)
    assert find_checkpoint("best", "runs") == str(Path("runs/newer/checkpoints/best.ckpt"))
    # Every command that resolves the word says which file it took.
    assert capsys.readouterr().err.strip() == "--ckpt_path best: runs/newer/checkpoints/best.ckpt"
    # `last` is what a stopped run resumes from: the newest, finished or not; never a trial's.
    assert find_checkpoint("last", "runs") == str(Path("runs/stopped/checkpoints/last.ckpt"))
