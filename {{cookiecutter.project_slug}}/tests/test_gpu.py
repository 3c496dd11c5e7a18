"""The paths only a CUDA GPU takes: mixed precision (bf16 where the GPU has it, fp16 otherwise) in
training and prediction, TF32 matrix products, pinned batches. `pytest -m gpu` on a machine with a
GPU; skipped elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.training.cli import default_precision, main

from .conftest import TrainedRun, assert_close_predictions, predicted_numbers
from .tiny_data import write_predict_inputs

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
ON_THE_GPU = ["--trainer.accelerator", "gpu", "--trainer.devices", "1"]


def test_fit_on_the_gpu_in_the_default_precision(data_args: list[str]) -> None:
    cli = main(["fit", *data_args, *ON_THE_GPU, "--trainer.max_epochs", "2"])
    assert cli.trainer.state.finished
    assert cli.config.fit.trainer.precision == default_precision(on_cuda=True)
    assert torch.get_float32_matmul_precision() == "high"
    assert cli.datamodule.train_dataloader().pin_memory


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
def test_predict_on_the_gpu_in_mixed_precision_matches_float32(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path, precision: str
) -> None:
    if precision == "bf16-mixed" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    predict_args, _, _ = write_predict_inputs(tmp_path / "inputs")
    args = [
        *data_args,
        *predict_args,
        *ON_THE_GPU,
        "--ckpt_path",
        str(trained_run.folder / "checkpoints" / "best.ckpt"),
    ]
    assert_close_predictions(predicted_numbers(args, precision), predicted_numbers(args, "32-true"))
