"""Runs are records: every run of every subcommand has a folder of its own with its config; a
resumed run goes on in its folder and its logger's run; the schedule follows the run's length;
the project's own configuration raises no warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
import yaml

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.runs import run_dir

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


def test_the_learning_rate_schedule_spans_the_run(data_args: list[str]) -> None:
    cli = main(["fit", *data_args, *SHORT_FIT, "--trainer.max_epochs", "3"])
    schedule = cli.trainer.lr_scheduler_configs[0].scheduler
    assert schedule.T_max == cli.trainer.estimated_stepping_batches == cli.trainer.global_step
    # The cosine has reached its end when the run ends: 3 epochs, not the 20 of the config.
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
