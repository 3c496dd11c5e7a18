"""What every task's model shares: the loss and metrics steps, the optimizer and its schedule from
the config, and prediction on raw inputs for the Python API, `serve` and `export`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.utilities.types import OptimizerLRScheduler
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR
from torchmetrics import MetricCollection

if TYPE_CHECKING:
    from ..plots.callback import TestFigures

# "cosine": the learning rate decays to zero along a cosine over the run's optimizer steps, however
# long --trainer.max_epochs makes the run; a scheduler (class_path and init_args) built from the
# optimizer; None: a constant learning rate.
Schedule = Literal["cosine"] | LRSchedulerCallable | None


class SupervisedModule(LightningModule, ABC):
    """Train on `loss(self(inputs), targets)` and evaluate with torchmetrics.

    Logs `train/loss`, `val/loss`, `test/loss` and every metric as `val/<name>` and
    `test/<name>`. Subclasses build their layers in `__init__`, call
    `save_hyperparameters(logger=False)` (the run's config is what loggers record) and define
    `forward` and the inference steps below.

    Inference on raw inputs is one pipeline for `predict` (Python), the `predict` subcommand,
    `serve` and `export`: each task defines its steps, the abstract methods below (a class that
    lacks one cannot be built), and names its inputs in `input_names`.

    Args:
        loss: Takes the model's outputs and the batch's targets.
        metrics: Torchmetrics updated with the outputs and targets; cloned for val and test.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: The learning-rate schedule (`Schedule`).
    """

    input_names: tuple[str, ...]  # the model's inputs, as the exported graph names them

    @abstractmethod
    def read_input(self, source: Any) -> dict[str, torch.Tensor]:
        """One raw input (an image file or its bytes, a dict of column values, a text) to that
        sample's inputs, tensors by name without the batch dimension; raises ValueError naming what
        is wrong with it."""

    @abstractmethod
    def infer(self, *inputs: torch.Tensor) -> torch.Tensor:
        """A batch's inputs to its predictions (probabilities, values): what the exported graph
        computes, numeric preprocessing included."""

    @abstractmethod
    def answers(self, predictions: torch.Tensor, batch: dict[str, torch.Tensor]) -> list[dict[str, Any]]:
        """One JSON-ready dict per sample of the batch."""

    @abstractmethod
    def parse_request(self, body: dict[str, Any]) -> Any:
        """A served request's JSON body to a raw input for `read_input`; raises ValueError naming
        what is wrong with it."""

    @abstractmethod
    def example_inputs(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        """Inputs of `batch_size` samples, what `export` traces."""

    @abstractmethod
    def export_info(self) -> dict[str, Any]:
        """What `export` writes to model.json beside the graph: how to feed it and read its outputs."""

    @abstractmethod
    def test_figures(self) -> TestFigures:
        """What `plots.callback.Plots` draws of the test split."""

    def __init__(
        self, loss: nn.Module, metrics: MetricCollection, optimizer: OptimizerCallable, scheduler: Schedule
    ) -> None:
        super().__init__()
        self.loss = loss
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self.optimizer = optimizer
        self.scheduler = scheduler

    def training_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(self(inputs), targets)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._evaluate(batch, "test", self.test_metrics)

    def _evaluate(self, batch: tuple[Any, torch.Tensor], stage: str, metrics: MetricCollection) -> torch.Tensor:
        """The batch's outputs, for the callbacks that draw them (`plots.callback.Plots`), after logging its metrics."""
        inputs, targets = batch
        outputs = self(inputs)
        # Validation figures show in the progress bar; test figures in the final table.
        self.log(f"{stage}/loss", self.loss(outputs, targets), prog_bar=stage == "val", sync_dist=True)
        metrics.update(outputs, targets)
        self.log_dict(metrics, prog_bar=stage == "val")
        return outputs

    def predict_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, _ = batch
        return self.infer(*inputs) if isinstance(inputs, (tuple, list)) else self.infer(inputs)

    def parameter_groups(self) -> Any:
        """What the optimizer trains: the parameters, or parameter groups whose `lr_scale` multiplies
        the optimizer's learning rate for that group."""
        return self.parameters()

    def configure_optimizers(self) -> OptimizerLRScheduler:
        optimizer = self.optimizer(self.parameter_groups())
        for group in optimizer.param_groups:
            group["lr"] *= group.pop("lr_scale", 1.0)
        if self.scheduler is None:
            return optimizer
        if self.scheduler == "cosine":
            schedule = CosineAnnealingLR(optimizer, T_max=self.trainer.estimated_stepping_batches)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler(optimizer)}

    def collate(self, samples: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """Samples of `read_input` as one batch, stacked (a task whose inputs differ in length pads them)."""
        return {name: torch.stack([sample[name] for sample in samples]) for name in samples[0]}

    @torch.inference_mode()
    def predict(self, sources: Any, batch_size: int = 64) -> list[dict[str, Any]] | dict[str, Any]:
        """Predict raw inputs (see `read_input`), `batch_size` at a time: a list (any sequence) of
        inputs gets one answer per input; one input (a path, a text, a row, an image) its answer.
        Call it on a model in eval mode, as `load_model` returns it."""
        if isinstance(sources, (str, bytes)) or not isinstance(sources, Sequence):
            return self.predict([sources], batch_size)[0]
        answers: list[dict[str, Any]] = []
        for start in range(0, len(sources), batch_size):
            batch = self.collate([self.read_input(source) for source in sources[start : start + batch_size]])
            answers += self.answers(self.infer_batch(batch), batch)
        return answers

    @torch.inference_mode()
    def infer_batch(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """`infer` on a collated batch, on the model's device; the predictions as float32 on the CPU."""
        return self.infer(*(batch[name].to(self.device) for name in self.input_names)).float().cpu()
