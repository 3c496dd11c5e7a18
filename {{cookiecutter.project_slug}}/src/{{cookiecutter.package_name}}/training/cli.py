"""The training command line: fit, validate, test and predict through LightningCLI, each run in a
folder of its own (`commands` routes every subcommand)."""

from __future__ import annotations

import contextlib
import csv
import importlib
import shutil
import signal
import sys
import warnings
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

import torch
import yaml
from jsonargparse import Namespace
from lightning.pytorch import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.callbacks import LearningRateMonitor, ProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities.exceptions import SIGTERMException

from ..data import LINKED_FROM_MODEL, LINKED_TO_MODEL
from ..data.overlap import RECORD_KEY, SplitOverlapCheck
from .runs import (
    continue_run,
    find_checkpoint,
    follow_runs_root,
    loggers_of,
    mark_finished,
    now,
    requeued_checkpoint,
    reserve_run_folder,
    run_dir,
    write_summary,
)

SUBCOMMANDS = ("fit", "validate", "test", "predict")
# The default configs ship inside the package, so that an installed project runs from any folder.
# Applied in this order: later files add to or override earlier ones. callbacks.yaml comes first
# so that the task's best-metric checkpoint is `trainer.checkpoint_callback`.
CONFIG_FILES = ("callbacks.yaml", "trainer.yaml", "model.yaml", "data.yaml", "split.yaml", "logger.yaml")
# Set (to anything) to see the whole traceback of a mistake in the options or the data.
TRACEBACK_VARIABLE = "FULL_TRACEBACK"
# LightningCLI's own optimizer options, which would replace the model's optimizer and schedule.
REPLACED_OPTIONS = {"--optimizer": "--model.init_args.optimizer", "--lr_scheduler": "--model.init_args.scheduler"}


def default_config_files() -> list[str]:
    folder = files("{{ cookiecutter.package_name }}") / "configs"
    return [str(folder / name) for name in CONFIG_FILES]


class RunConfigSaver(SaveConfigCallback):
    """Save the run's config (`ckpt_path` included) in its folder, whatever the subcommand and
    the logger, and log it to the logger as the run's hyperparameters; a resumed run adds
    `config-resumed-N.yaml`. A `fit` also saves which sample went to which split (`splits.csv`,
    to audit any result for leakage).

    Lightning's own callback writes to `trainer.log_dir`, which is the logger's
    shared save_dir under W&B (so the next run aborts rather than overwrite it)
    and None under MLflow with a database store.
    """

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        # The run's folder is known once the logger is set up: saved as the stage starts.
        pass

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.save(trainer)

    def on_validation_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.save(trainer)

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.save(trainer)

    def on_predict_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.save(trainer)

    def save(self, trainer: Trainer) -> None:
        """Once per run (the test that ends a `fit` belongs to it), on every process."""
        if self.already_saved:
            return
        folder = run_dir(trainer)
        if trainer.is_global_zero:
            folder.mkdir(parents=True, exist_ok=True)
            config = folder / self.config_filename
            resumed = config.exists()
            if resumed:  # the run goes on in its folder: its first config stays
                config = config.with_stem(f"{config.stem}-resumed-{len(list(folder.glob('*-resumed-*')))}")
            self.parser.save(self.config, str(config), skip_none=False, overwrite=True, multifile=self.multifile)
            if trainer.logger is not None and not resumed:
                # Plain data, as the YAML file holds it (loggers store parameters once per run).
                trainer.logger.log_hyperparams(yaml.safe_load(self.parser.dump(self.config, skip_none=False)))
            if not resumed:
                # What the run resolved at run time, which the config leaves to it (`precision: null`).
                resolved = {
                    "precision": trainer.precision,
                    "accelerator": type(trainer.accelerator).__name__,
                    "world_size": trainer.world_size,
                }
                write_summary(folder, command=trainer.state.fn.value, status="running", started=now(), **resolved)
            if trainer.state.fn == "fit":
                with (folder / "splits.csv").open("w", newline="") as file:
                    writer = csv.writer(file, lineterminator="\n")
                    writer.writerow(["sample", "split"])
                    writer.writerows(trainer.datamodule.split_membership())
        self.already_saved = True


class TrainingCLI(LightningCLI):
    """LightningCLI that passes what the data knows (classes, weights, preprocessing) to the model,
    gives every run its own folder, and takes a checkpoint's fitted values when it evaluates or predicts."""

    def __init__(self, *args: Any, test_after_fit: bool = True, **kwargs: Any) -> None:
        self.test_after_fit = test_after_fit
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        for name in LINKED_FROM_MODEL:
            parser.link_arguments(f"model.init_args.{name}", f"data.init_args.{name}")
        for name in LINKED_TO_MODEL:
            parser.link_arguments(
                "data", f"model.init_args.{name}", compute_fn=partial(self.linked_value, name), apply_on="instantiate"
            )
        parser.add_argument(
            "--compile",
            type=bool,
            default=False,
            help="Compile the model with torch.compile (slow first steps, then faster ones on a GPU).",
        )
        parser.add_argument(
            "--allow_overlap",
            type=bool,
            default=False,
            help="validate and test: evaluate a checkpoint even on samples it trained (or, for test, validated) on.",
        )

    def linked_value(self, name: str, datamodule: LightningDataModule) -> Any:
        """What the model receives as `name`: what the data module fits on its training split, or
        what the checkpoint being evaluated or predicted with was trained with."""
        return self.fitted[name] if name in self.fitted else getattr(datamodule, name)

    @property
    def _subcommand_config(self) -> Namespace:
        return self.config[self.subcommand] if self.subcommand else self.config

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        for argument in sys.argv[1:] if args is None else args:
            option = argument.split("=", 1)[0].split(".", 1)[0] if isinstance(argument, str) else None
            if option in REPLACED_OPTIONS:
                parser.error(
                    f"{option}: the optimizer and its schedule are the model's options, "
                    f"{REPLACED_OPTIONS[option]} (see --help); LightningCLI's own would replace them."
                )
        super().parse_arguments(parser, args)
        config = self.config.get(self.config.get("subcommand") or "", None)
        if config is not None and config.ckpt_path:
            # Before Lightning reads the checkpoint's hyperparameters into the model's config.
            config.ckpt_path = find_checkpoint(config.ckpt_path, config.trainer.default_root_dir)

    def before_instantiate_classes(self) -> None:
        config = self._subcommand_config
        trainer_config = config.trainer
        self.place_run(config)
        # The run's config.yaml records what was asked; what is resolved below is the run's own.
        self.asked_config = config.clone()
        follow_runs_root(trainer_config)
        self.fitted: dict[str, Any] = {}
        self.checkpoint_folder: str | None = None
        self.recorded_splits: dict[str, Any] | None = None
        if self.subcommand in ("validate", "test", "predict") and config.ckpt_path:
            self.take_from_checkpoint(config.ckpt_path)
        if self.subcommand == "predict" and config.return_predictions is None:
            # The writers write each batch as it comes: keeping every prediction too would only fill memory.
            config.return_predictions = False
        on_cuda = trainer_config.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
        if trainer_config.precision is None:
            trainer_config.precision = default_precision(on_cuda)
        if on_cuda:
            # TF32 matrix products on Ampere and newer: much faster, precise enough to train.
            torch.set_float32_matmul_precision("high")
        if trainer_config.enable_progress_bar is False and trainer_config.callbacks:
            # Lightning refuses a progress bar callback once the progress bar is turned off.
            trainer_config.callbacks = [
                callback for callback in trainer_config.callbacks if not is_a(callback, ProgressBar)
            ]
        if not loggers_of(trainer_config) and trainer_config.callbacks:
            # The learning-rate monitor refuses to run without a logger (`--trainer.logger false`).
            trainer_config.callbacks = [
                callback for callback in trainer_config.callbacks if not is_a(callback, LearningRateMonitor)
            ]

    def place_run(self, config: Namespace) -> None:
        """Give the run its folder: a resumed `fit` (a checkpoint given, or found after a SLURM
        requeue) goes on in its run's; any other run gets a new one."""
        trainer_config = config.trainer
        # Loggers such as MLflow's SQLite store expect the runs folder to exist.
        Path(trainer_config.default_root_dir).mkdir(parents=True, exist_ok=True)
        if self.subcommand == "fit" and not config.ckpt_path:
            config.ckpt_path = requeued_checkpoint(trainer_config.default_root_dir)
        self.resumed = bool(self.subcommand == "fit" and config.ckpt_path)
        if self.resumed:
            continue_run(trainer_config, config.ckpt_path)
            # Lightning warns that the run's folders are not empty: a resumed run means them to be.
            warnings.filterwarnings("ignore", r"(Checkpoint|Experiment logs) directory .* exists and is not empty")

    def take_from_checkpoint(self, checkpoint: str) -> None:
        """Read what the checkpoint's training split fitted (its values linked to the model), where
        its checkpoint callbacks saved and which samples it trained on, for `instantiate_classes`."""
        saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
        hyperparameters = saved.get("hyper_parameters", {})
        self.fitted = {name: hyperparameters[name] for name in LINKED_TO_MODEL if name in hyperparameters}
        folders = [state["dirpath"] for state in saved.get("callbacks", {}).values() if "dirpath" in state]
        self.checkpoint_folder = folders[0] if folders else None
        self.recorded_splits = saved.get(RECORD_KEY)

    def instantiate_classes(self) -> None:
        try:
            super().instantiate_classes()
        except ValueError as error:
            # jsonargparse wraps what a linked value raised (a data folder missing, a bad file) in its own
            # message about the link: raise the data module's message itself, which names the culprit.
            if isinstance(error.__cause__, (ValueError, OSError)):
                raise error.__cause__ from None
            raise
        if self.subcommand and not self.resumed:
            reserve_run_folder(self.trainer)
        for callback in self.trainer.callbacks:
            if isinstance(callback, RunConfigSaver):
                callback.config = self.asked_config
        config = self._subcommand_config
        option = f"{self.subcommand} --ckpt_path {config.get('ckpt_path')}"
        # First: checkpoint callbacks stay last, as Lightning orders them.
        self.trainer.callbacks.insert(0, SplitOverlapCheck(self.recorded_splits, config.allow_overlap, option))
        if self.fitted:
            # Data are prepared as for the checkpoint's model; to predict files, no training data are read.
            self.datamodule.use_fitted(self.fitted)
        if self.checkpoint_folder:
            # Lightning restores the checkpoint callbacks' state and warns when their folder is not the
            # one they saved in; outside fit they save nothing, so they keep that folder.
            for callback in self.trainer.checkpoint_callbacks:
                callback.dirpath = self.checkpoint_folder
        if self._subcommand_config.compile:
            # In place: the module keeps its class, its hooks and its checkpoint keys.
            self.model.compile()

    def _run_subcommand(self, subcommand: str) -> None:
        try:
            super()._run_subcommand(subcommand)
        except BaseException:
            trained = self.resumed or self.trainer.global_step > 0
            if self.trainer.world_size == 1:  # one process (others may have gone)
                if subcommand == "fit" and not trained:
                    # Nothing trained (a mistake in the options or the data): the run leaves no folder behind.
                    # Here, once its loggers have closed their files.
                    shutil.rmtree(run_dir(self.trainer), ignore_errors=True)
                else:
                    # Nor does an evaluation refused before it started (its folder still empty).
                    with contextlib.suppress(OSError):
                        run_dir(self.trainer).rmdir()
            raise

    def after_fit(self) -> None:
        """Test the best checkpoint of the run that just ended, and mark the run finished."""
        checkpoint = self.trainer.checkpoint_callback
        if not self.trainer.state.finished:  # stopped by Ctrl+C
            return
        if self.test_after_fit and checkpoint is not None and checkpoint.best_model_path:
            self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path=checkpoint.best_model_path)
        mark_finished(self.trainer)


def default_precision(on_cuda: bool) -> str:
    """bf16 mixed precision on GPUs that support it, fp16 mixed on older GPUs, fp32 on CPU."""
    if not on_cuda:
        return "32-true"
    return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"


def is_a(callback: Namespace, base: type) -> bool:
    """Whether a callback of the config (class_path and init_args) is a `base`."""
    module_name, _, class_name = callback.class_path.rpartition(".")
    return issubclass(getattr(importlib.import_module(module_name), class_name), base)


def main(
    args: list[str] | None = None,
    run: bool = True,
    prog: str | None = None,
    callbacks: list[Callback] | None = None,
    test_after_fit: bool = True,
) -> Any:
    """Run fit, validate, test or predict with `args` (default: sys.argv) and return the LightningCLI object.

    With `run=False` nothing is run and `args` holds no subcommand: the returned
    object carries the instantiated `model`, `datamodule` and `trainer`.
    `callbacks` are added to the trainer's (the sweep adds its trial's); `test_after_fit=False`
    ends a `fit` without testing (a sweep's trials are judged on validation).
    """
    prog = prog or Path(sys.argv[0]).name
    defaults = {"default_config_files": default_config_files()}
    try:
        return TrainingCLI(
            LightningModule,
            LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            save_config_callback=RunConfigSaver,
            # One way to set the optimizer: the model's own options (its parameter groups, its schedule).
            auto_configure_optimizers=False,
            test_after_fit=test_after_fit,
            trainer_defaults={"callbacks": callbacks or []},
            parser_kwargs={
                "prog": prog,
                "epilog": "A checkpoint alone also runs `export --help` (to ONNX) and `serve --help` (over HTTP); "
                "`report --help` draws a finished run's plots again; `sweep --help` searches hyperparameters; "
                "`cv` cross-validates (split_strategy kfold); `repeat --seeds 0,1,2` trains over seeds; "
                "`compare` puts runs side by side. "
                f"A mistake in the options or the data prints one line: set {TRACEBACK_VARIABLE}=1 for its traceback.",
                **{name: defaults for name in SUBCOMMANDS},
            }
            if run
            else defaults,
            args=args,
            run=run,
        )
    except SIGTERMException as stop:
        # Lightning ends a run stopped by SIGTERM with status 0; schedulers take 128 + 15 for "terminated"
        # and requeue it, where 0 would mark an unfinished run as done.
        raise SystemExit(128 + signal.SIGTERM) from stop
