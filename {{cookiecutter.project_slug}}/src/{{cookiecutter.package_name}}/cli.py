"""The command line: `python -m {{ cookiecutter.package_name }} fit|validate|test|predict`."""

from __future__ import annotations

import csv
import importlib
from pathlib import Path

import torch
from jsonargparse import Namespace
from lightning.pytorch import LightningDataModule, LightningModule, Trainer
from lightning.pytorch.callbacks import ProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback

from .data import LINKED_TO_MODEL
from .runs import run_dir

SUBCOMMANDS = ("fit", "validate", "test", "predict")
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
# Applied in this order: later files add to or override earlier ones. callbacks.yaml comes
# first so that the task's best-metric checkpoint is `trainer.checkpoint_callback`.
DEFAULT_CONFIG_FILES = [
    str(CONFIG_DIR / name)
    for name in ("callbacks.yaml", "trainer.yaml", "model.yaml", "data.yaml", "split.yaml", "logger.yaml")
]


class RunConfigSaver(SaveConfigCallback):
    """Save the run's config, and which sample went to which split (`splits.csv`, to audit
    any result for leakage), beside its checkpoints, whatever the logger.

    Lightning's own callback writes to `trainer.log_dir`, which is the logger's
    shared save_dir under W&B (so the next run aborts rather than overwrite it)
    and None under MLflow with a database store.
    """

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        # The checkpoint folder is only known once ModelCheckpoint.setup has run,
        # and Lightning runs checkpoint callbacks last: save in on_fit_start.
        pass

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.already_saved:
            return
        folder = run_dir(trainer)
        if trainer.is_global_zero:
            folder.mkdir(parents=True, exist_ok=True)
            config = folder / self.config_filename
            self.parser.save(self.config, str(config), skip_none=False, overwrite=True, multifile=self.multifile)
            with (folder / "splits.csv").open("w", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(["sample", "split"])
                writer.writerows(trainer.datamodule.split_membership())
        self.already_saved = True


class TrainingCLI(LightningCLI):
    """LightningCLI that passes what the data knows (classes, weights) to the model."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        for name in LINKED_TO_MODEL:
            parser.link_arguments(f"data.{name}", f"model.init_args.{name}", apply_on="instantiate")
        parser.add_argument(
            "--compile",
            type=bool,
            default=False,
            help="Compile the model with torch.compile (slow first steps, then faster ones on a GPU).",
        )

    @property
    def _subcommand_config(self) -> Namespace:
        return self.config[self.subcommand] if self.subcommand else self.config

    def before_instantiate_classes(self) -> None:
        trainer_config = self._subcommand_config.trainer
        # Loggers such as MLflow's SQLite store expect the runs folder to exist.
        Path(trainer_config.default_root_dir).mkdir(parents=True, exist_ok=True)
        on_cuda = trainer_config.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
        if trainer_config.precision is None:
            trainer_config.precision = default_precision(on_cuda)
        if on_cuda:
            # TF32 matrix products on Ampere and newer: much faster, precise enough to train.
            torch.set_float32_matmul_precision("high")
        if trainer_config.enable_progress_bar is False and trainer_config.callbacks:
            # Lightning refuses a progress bar callback once the progress bar is turned off.
            trainer_config.callbacks = [
                callback for callback in trainer_config.callbacks if not is_progress_bar(callback.class_path)
            ]

    def instantiate_classes(self) -> None:
        super().instantiate_classes()
        if self._subcommand_config.compile:
            # In place: the module keeps its class, its hooks and its checkpoint keys.
            self.model.compile()

    def after_fit(self) -> None:
        """Test the best checkpoint of the run that just ended."""
        checkpoint = self.trainer.checkpoint_callback
        if checkpoint is not None and checkpoint.best_model_path:
            self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path="best")


def default_precision(on_cuda: bool) -> str:
    """bf16 mixed precision on GPUs that support it, fp16 mixed on older GPUs, fp32 on CPU."""
    if not on_cuda:
        return "32-true"
    return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"


def is_progress_bar(class_path: str) -> bool:
    module_name, _, class_name = class_path.rpartition(".")
    return issubclass(getattr(importlib.import_module(module_name), class_name), ProgressBar)


def main(args: list[str] | None = None, run: bool = True) -> LightningCLI:
    """Run the command line with `args` (default: sys.argv) and return the CLI object.

    With `run=False` nothing is run and `args` holds no subcommand: the returned
    object carries the instantiated `model`, `datamodule` and `trainer`.
    """
    defaults = {"default_config_files": DEFAULT_CONFIG_FILES}
    return TrainingCLI(
        LightningModule,
        LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        save_config_callback=RunConfigSaver,
        parser_kwargs={name: defaults for name in SUBCOMMANDS} if run else defaults,
        args=args,
        run=run,
    )
