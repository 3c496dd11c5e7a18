"""A pretrained encoder for the U-Net, offline: a timm feature extractor filled from a local state
dict of a classifier (its head skipped), a decoder sized by the data's classes, the encoder frozen
as asked and learning slower than the decoder, a checkpoint that needs the weights file no more,
and a bad value refused before training with what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

QUIET = ["--trainer.enable_progress_bar", "false"]
ENCODER = ["--model.init_args.encoder", "timm/resnet18"]
# A value no initialization gives: the encoder holds the file's tensors, not its own.
MARK = 0.0123


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A timm resnet18 classifier's state dict, ImageNet's 1000-class head included."""
    network = timm.create_model("resnet18", pretrained=False)
    with torch.no_grad():
        network.conv1.weight.fill_(MARK)
    path = tmp_path_factory.mktemp("weights") / "resnet18.pth"
    torch.save(network.state_dict(), path)
    return path


def test_the_weights_fill_the_encoder_and_the_checkpoint_keeps_them(
    data_args: list[str], weights: Path, tmp_path: Path
) -> None:
    path = tmp_path / weights.name
    path.write_bytes(weights.read_bytes())
    args = [*ENCODER, "--model.init_args.pretrained", str(path), "--model.init_args.scheduler", "null"]
    cli = main([*data_args, *args], run=False)
    saved = torch.load(path, weights_only=True)
    encoder = cli.model.network.encoder.state_dict()
    assert torch.all(encoder["conv1.weight"] == MARK)
    assert all(torch.equal(encoder[key], saved[key]) for key in encoder)
    assert cli.model.network.decoder.head.out_channels == len(cli.datamodule.class_names)
    encoder_group, decoder_group = cli.model.configure_optimizers().param_groups
    assert encoder_group["lr"] == pytest.approx(0.1 * decoder_group["lr"])

    fit = main(
        ["fit", *data_args, *args, "--model.init_args.freeze_backbone_epochs", "1", "--trainer.max_epochs", "1", *QUIET]
    )
    # Frozen for the one epoch: the encoder is the file's still.
    assert torch.equal(fit.model.network.encoder.conv1.weight.detach().cpu(), saved["conv1.weight"])
    checkpoint = run_dir(fit.trainer) / "checkpoints" / "best.ckpt"
    path.unlink()
    model = load_model(checkpoint)
    assert torch.equal(model.network.encoder.conv1.weight, saved["conv1.weight"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model.init_args.pretrained", "true"], "needs a pretrained encoder"),
        ([*ENCODER, "--model.init_args.pretrained", "missing.pt"], "missing.pt'?: no such file"),
        (["--model.init_args.encoder", "resnet18"], "use timm/<a timm model name>"),
        (
            ["--model.init_args.encoder", "timm/resnet34", "--model.init_args.pretrained", "WEIGHTS"],
            "does not fit encoder",
        ),
    ],
)
def test_a_bad_encoder_or_pretrained_value_is_refused_with_what_is_accepted(
    data_args: list[str], weights: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [str(weights) if arg == "WEIGHTS" else arg for arg in args]
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        main(["fit", *data_args, *args, *QUIET])
    assert not list(tmp_path.rglob("*.ckpt")), "training started"
