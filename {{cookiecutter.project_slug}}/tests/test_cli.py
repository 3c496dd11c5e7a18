"""The command line, called in process: every subcommand, the config round trip, checkpoints;
and once in another process, installed, from an empty folder."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from lightning.pytorch import Callback, Trainer

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.checkpoint.prediction import CSVPredictionWriter
from {{ cookiecutter.package_name }}.data import LINKED_TO_MODEL
from {{ cookiecutter.package_name }}.training.cli import TRACEBACK_VARIABLE, default_precision, main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import FAKE_SECRET, DefaultBuild, TrainedRun

# A mistake in the options that surfaces once training starts: the optimizer refuses it.
NEGATIVE_LR = ["--model.init_args.optimizer.init_args.lr", "-1"]


@pytest.mark.parametrize("subcommand", ["fit", "validate", "test", "predict"])
def test_subcommand_runs_with_fast_dev_run(subcommand: str, data_args: list[str]) -> None:
    cli = main([subcommand, *data_args, "--trainer.fast_dev_run", "1"])
    assert cli.trainer.state.finished
    for name in LINKED_TO_MODEL:
        assert cli.model.hparams[name] == getattr(cli.datamodule, name)


def test_fit_uses_the_default_configs_without_arguments(default_build: DefaultBuild) -> None:
    cli = default_build.cli
    assert type(cli.model).__module__.startswith("{{ cookiecutter.package_name }}.models")
    assert type(cli.datamodule).__module__.startswith("{{ cookiecutter.package_name }}.data")
    assert cli.trainer.max_epochs == cli.config.trainer.max_epochs > 1
    assert cli.model._compiled_call_impl is None  # torch.compile is opt-in


@pytest.mark.slow  # a new interpreter
def test_the_command_runs_from_any_folder_with_its_packaged_configs(tmp_path: Path) -> None:
    # A new process in an empty folder: the configs come from the installed package, not a checkout.
    run = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "fit", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: python -m {{ cookiecutter.package_name }} [options] fit")
    assert type(main([], run=False).model).__name__ in run.stdout  # the model the packaged model.yaml names


@pytest.mark.slow  # the installed command, in a shell
def test_the_installed_command_succeeds_and_a_mistake_ends_in_one_line(data_args: list[str], tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "{{ cookiecutter.project_slug }}"
    assert command.is_file(), "the project's console script is not installed in this environment"
    options = " ".join(data_args)
    # As a shell, a Makefile or a job script chain commands: on the exit status.
    chained = subprocess.run(
        f"{command} fit {options} --trainer.fast_dev_run 1 && echo chained",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert chained.returncode == 0, chained.stderr[-3000:]
    assert chained.stdout.splitlines()[-1] == "chained"

    mistake = [str(command), "fit", *data_args, *NEGATIVE_LR]
    failed = subprocess.run(mistake, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert failed.stderr.splitlines()[-1] == "error: Invalid learning rate: -1.0"
    assert not list(tmp_path.rglob("config.yaml")), "the failed run left its folder behind"
    env = os.environ | {TRACEBACK_VARIABLE: "1"}
    shown = subprocess.run(mistake, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 1
    assert "Traceback" in shown.stderr


def test_the_optimizer_is_the_models_option_alone(data_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # LightningCLI's own --optimizer would replace the model's optimizer, schedule and parameter groups.
    for option in (["--optimizer", "SGD"], ["--optimizer=SGD"], ["--lr_scheduler.class_path", "StepLR"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["fit", *data_args, *option])
        assert exit_info.value.code == 2
        assert "--model.init_args." in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    shown = capsys.readouterr().out
    assert "--optimizer" not in shown and "--lr_scheduler" not in shown


def test_precision_follows_the_accelerator(data_args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main([*data_args, "--trainer.accelerator", "cpu"], run=False).config.trainer.precision == "32-true"
    assert default_precision(on_cuda=False) == "32-true"
    for bf16, expected in ((True, "bf16-mixed"), (False, "16-mixed")):
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda bf16=bf16: bf16)
        assert default_precision(on_cuda=True) == expected


def test_progress_bar_can_be_turned_off(data_args: list[str]) -> None:
    # Lightning refuses a progress bar callback with enable_progress_bar false, as the Trainer is built.
    cli = main([*data_args, "--trainer.enable_progress_bar", "false"], run=False)
    assert cli.trainer.progress_bar_callback is None


def test_compile_is_opt_in(data_args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = []
    # Recorded, not run: compiling is torch's business, and importing its compiler takes seconds.
    monkeypatch.setattr(torch.nn.Module, "compile", lambda module, *args, **kwargs: compiled.append(module))
    cli = main([*data_args, "--compile", "true"], run=False)
    assert compiled == [cli.model]


def test_print_config_round_trip(data_args: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", *data_args, "--print_config"])
    assert exit_info.value.code in (0, None)
    printed = capsys.readouterr().out
    config_file = tmp_path / "printed.yaml"
    config_file.write_text(printed)

    with pytest.raises(SystemExit):
        main(["fit", "--config", str(config_file), "--print_config"])
    assert capsys.readouterr().out == printed

    cli = main(["fit", "--config", str(config_file), "--trainer.fast_dev_run", "1"])
    assert cli.trainer.state.finished


def test_fit_saves_config_and_checkpoints_in_the_run_folder(trained_run: TrainedRun) -> None:
    assert (trained_run.folder / "config.yaml").is_file()
    assert (trained_run.folder / "checkpoints" / "best.ckpt").is_file()
    # last.ckpt is the end of the last epoch, whether or not it improved the watched metric.
    last = torch.load(trained_run.folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["global_step"] == trained_run.cli.trainer.global_step


def test_fit_records_which_sample_went_to_which_split(trained_run: TrainedRun) -> None:
    with (trained_run.folder / "splits.csv").open() as file:
        rows = list(csv.DictReader(file))
    datamodule = trained_run.cli.datamodule
    assert sorted(row["sample"] for row in rows) == sorted(datamodule.sample_ids)
    for split, positions in datamodule.split_indices._asdict().items():
        assert {row["sample"] for row in rows if row["split"] == split} == {datamodule.sample_ids[i] for i in positions}


def test_run_files_hold_no_secret(trained_run: TrainedRun) -> None:
    for path in (trained_run.workdir / "runs").rglob("*"):
        if path.is_file():
            assert FAKE_SECRET.encode() not in path.read_bytes(), path


class SigtermAfterSteps(Callback):
    """Send this process SIGTERM, as a cluster scheduler would, after `steps` training steps."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def on_train_batch_end(self, trainer: Trainer, *args: object) -> None:
        if trainer.global_step == self.steps:
            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_saves_a_checkpoint_exits_as_terminated_and_resumes(data_args: list[str], isolated: Path) -> None:
    fit = ["fit", *data_args, "--trainer.max_epochs", "2"]
    sigterm = json.dumps({"class_path": f"{__name__}.SigtermAfterSteps", "init_args": {"steps": 2}})
    with pytest.raises(SystemExit) as stop:
        main([*fit, f"--trainer.callbacks+={sigterm}"])
    # 128 + SIGTERM, as a process killed by SIGTERM: schedulers requeue the job instead of marking it done.
    assert stop.value.code == 143
    (checkpoint,) = isolated.rglob("interrupted.ckpt")
    assert torch.load(checkpoint, map_location="cpu", weights_only=True)["global_step"] == 2

    resumed = main([*fit, "--ckpt_path", str(checkpoint)])
    assert resumed.trainer.state.finished
    assert resumed.trainer.current_epoch == 2
    assert run_dir(resumed.trainer).resolve() == checkpoint.parent.parent, "the resumed run opened another folder"


def test_fit_ends_by_testing_the_best_checkpoint(trained_run: TrainedRun) -> None:
    tested = [name for name in trained_run.cli.trainer.callback_metrics if name.startswith("test/")]
    assert tested, "fit did not run test on the best checkpoint"


def test_checkpoint_alone_restores_the_model(trained_run: TrainedRun) -> None:
    # After fit, the model holds the best checkpoint's weights: fit ends by testing it.
    # load_model reads it without unpickling arbitrary objects (weights_only).
    restored = load_model(trained_run.folder / "checkpoints" / "best.ckpt")
    model = trained_run.cli.model.to("cpu").eval()
    assert type(restored) is type(model)
    restored_state = restored.state_dict()
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(restored_state[name], tensor)

    datamodule = trained_run.cli.datamodule
    datamodule.setup("test")
    # As the trainer gives batches to the model: after the data module's on-device transforms.
    inputs = datamodule.on_after_batch_transfer(next(iter(datamodule.test_dataloader())), 0)[0]
    with torch.no_grad():
        torch.testing.assert_close(restored(inputs), model(inputs))


def test_predict_from_a_checkpoint_writes_one_row_per_sample(trained_run: TrainedRun, data_args: list[str]) -> None:
    cli = main(["predict", *data_args, "--ckpt_path", str(trained_run.folder / "checkpoints" / "best.ckpt")])
    writer = next(callback for callback in cli.trainer.callbacks if isinstance(callback, CSVPredictionWriter))
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        rows = list(csv.reader(file))
    assert rows[0] == list(writer.header)
    assert len(rows) - 1 == len(cli.datamodule.predict_dataset)
