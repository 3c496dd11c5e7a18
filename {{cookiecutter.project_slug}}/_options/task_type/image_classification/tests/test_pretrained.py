"""Fine-tuning pretrained weights, offline: torchvision and timm state dicts from local files fill
the backbone, a new head fits the data's classes, the backbone stays frozen as long as asked and
learns slower than the head, a checkpoint needs the weights file no more, and a bad value is
refused before training with what is accepted."""

from __future__ import annotations

import fractions
from pathlib import Path
from typing import Any
from urllib.error import URLError

import huggingface_hub
import pytest
import timm
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from safetensors.torch import load_file, save_file
from torchvision import models

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.models import ImageClassifier
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

QUIET = ["--trainer.enable_progress_bar", "false"]
# Large enough for a single image of a last batch: resnet18's last BatchNorm sees 2 x 2 pixels.
RESNET18 = ["--model.init_args.backbone", "resnet18", "--data.image_size", "64"]
# A value no initialization gives: the backbone holds the file's tensors, not its own.
MARK = 0.0123


def marked_state_dict(network: torch.nn.Module) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        network.conv1.weight.fill_(MARK)
    return network.state_dict()


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    """backbone name and weights file, by source: a torchvision resnet18 state dict (.pth) and a
    timm one (.safetensors, as timm publishes them), both with ImageNet's 1000-class head."""
    folder = tmp_path_factory.mktemp("weights")
    torch.save(marked_state_dict(models.resnet18(weights=None)), folder / "resnet18.pth")
    save_file(marked_state_dict(timm.create_model("resnet18", pretrained=False)), folder / "resnet18.safetensors")
    return {
        "torchvision": ("resnet18", folder / "resnet18.pth"),
        "timm": ("timm/resnet18", folder / "resnet18.safetensors"),
    }


@pytest.mark.parametrize("source", ["torchvision", "timm"])
def test_the_weights_fill_the_backbone_and_a_new_head_fits_the_classes(
    weights: dict[str, tuple[str, Path]], source: str
) -> None:
    backbone, path = weights[source]
    saved = torch.load(path) if path.suffix == ".pth" else load_file(path)
    model = ImageClassifier(["a", "b", "c"], image_size=16, backbone=backbone, pretrained=str(path))
    loaded = model.network.state_dict()
    assert torch.all(loaded["conv1.weight"] == MARK)
    assert all(torch.equal(loaded[key], value) for key, value in saved.items() if not key.startswith("fc."))
    assert model.network.fc.out_features == 3
    assert model.network.fc.weight.shape == (3, 512)


@pytest.mark.parametrize("source", ["torchvision", "timm"])
def test_fit_runs_from_pretrained_weights(
    data_args: list[str], weights: dict[str, tuple[str, Path]], source: str
) -> None:
    backbone, path = weights[source]
    pretrained = ["--model.init_args.backbone", backbone, "--model.init_args.pretrained", str(path)]
    cli = main(["fit", *data_args, *pretrained, "--trainer.fast_dev_run", "true", *QUIET])
    assert cli.trainer.state.finished
    assert cli.model.network.fc.out_features == len(cli.datamodule.class_names)


def test_a_checkpoint_holds_the_weights_and_their_preprocessing(
    data_args: list[str], weights: dict[str, tuple[str, Path]], tmp_path: Path
) -> None:
    _, original = weights["torchvision"]
    path = tmp_path / original.name
    path.write_bytes(original.read_bytes())
    args = [*RESNET18, "--model.init_args.pretrained", str(path)]
    cli = main(
        ["fit", *data_args, *args, "--model.init_args.mean", "[0.4, 0.4, 0.4]", "--trainer.max_epochs", "1", *QUIET]
    )
    checkpoint = run_dir(cli.trainer) / "checkpoints" / "best.ckpt"
    path.unlink()
    model = load_model(checkpoint)
    assert torch.allclose(model.mean.flatten(), torch.tensor([0.4, 0.4, 0.4]))
    assert torch.load(checkpoint, weights_only=True)["pretrained_from"] == str(path)
    # Also through the command line, with the weights file still named in its config.
    main(["test", *data_args, *args, "--ckpt_path", str(checkpoint), *QUIET])


def test_weights_named_by_torchvision_set_the_image_size_and_normalization(
    data_args: list[str], weights: dict[str, tuple[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path a hub name takes on a connected machine, with the download replaced by the file."""
    _, path = weights["torchvision"]
    monkeypatch.setattr(models.WeightsEnum, "get_state_dict", lambda *args, **kwargs: torch.load(path))
    named = ["--model.init_args.backbone", "resnet18", "--model.init_args.pretrained", "IMAGENET1K_V1"]
    cli = main([*data_args, *named], run=False)
    assert cli.datamodule.hparams.pretrained == "IMAGENET1K_V1"  # named once, on the model
    assert cli.datamodule.image_size == cli.model.image_size == 224
    assert torch.allclose(cli.model.mean.flatten(), torch.tensor([0.485, 0.456, 0.406]))
    assert torch.all(cli.model.network.conv1.weight == MARK)
    # Given one, the data's own size wins; a local file says none.
    assert main([*data_args, *named, "--data.image_size", "48"], run=False).datamodule.image_size == 48
    local = ["--model.init_args.backbone", "resnet18", "--model.init_args.pretrained", str(path)]
    assert main([*data_args, *local], run=False).datamodule.image_size == 32


class BackboneRecord(Callback):
    """Per training epoch: the backbone's first convolution, a BatchNorm's running mean and the
    head's weights at its end, and whether the backbone had a gradient at any optimizer step."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, Any]] = []
        self.backbone_grad = False

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer: Any) -> None:
        self.backbone_grad |= pl_module.network.conv1.weight.grad is not None

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        network = pl_module.network
        self.epochs.append(
            {
                "conv": network.conv1.weight.detach().clone(),
                "running_mean": network.bn1.running_mean.clone(),
                "head": network.fc.weight.detach().clone(),
                "backbone_grad": self.backbone_grad,
            }
        )
        self.backbone_grad = False


def test_the_backbone_stays_frozen_for_the_epochs_asked_then_trains(
    data_args: list[str], weights: dict[str, tuple[str, Path]]
) -> None:
    _, path = weights["torchvision"]
    record = BackboneRecord()
    args = [*RESNET18, "--model.init_args.pretrained", str(path)]
    main(
        [
            "fit",
            *data_args,
            *args,
            "--model.init_args.freeze_backbone_epochs",
            "1",
            "--trainer.max_epochs",
            "2",
            *QUIET,
        ],
        callbacks=[record],
    )
    pretrained = torch.load(path, weights_only=True)
    first, second = record.epochs
    assert torch.equal(first["conv"], pretrained["conv1.weight"]) and not first["backbone_grad"]
    assert torch.equal(first["running_mean"], pretrained["bn1.running_mean"])
    assert not torch.equal(first["head"], second["head"])  # the head trains from the start
    assert not torch.equal(second["conv"], pretrained["conv1.weight"]) and second["backbone_grad"]


def test_the_pretrained_backbone_learns_slower_than_the_head(
    data_args: list[str], weights: dict[str, tuple[str, Path]]
) -> None:
    _, path = weights["torchvision"]
    args = [*RESNET18, "--model.init_args.pretrained", str(path)]
    cli = main([*data_args, *args, "--model.init_args.scheduler", "null"], run=False)
    backbone, head = cli.model.configure_optimizers().param_groups
    assert backbone["lr"] == pytest.approx(0.1 * head["lr"])
    assert len(head["params"]) == 2  # fc.weight, fc.bias


class NotATensor(fractions.Fraction):
    """An object that loading would have to unpickle."""


def offline(*args: Any, **kwargs: Any) -> None:
    raise URLError("no network in the tests")


@pytest.mark.parametrize(
    ("case", "backbone", "value", "message"),
    [
        ("no such file", "resnet18", "missing.pt", "missing.pt'?: no such file"),
        ("another architecture", "resnet34", "resnet18.pth", "does not fit backbone 'resnet34'"),
        ("unknown weights name", "resnet18", "IMAGENET1K_V9", "torchvision has no such weights.*it has DEFAULT"),
        ("weights offline", "resnet18", "IMAGENET1K_V1", "could not be downloaded"),
        ("timm offline", "timm/resnet18", "true", "could not be downloaded"),
        ("pickled object", "resnet18", "pickled.pt", "arbitrary unpickling.*refused"),
    ],
)
def test_a_bad_pretrained_value_is_refused_before_training_with_what_is_accepted(
    data_args: list[str],
    weights: dict[str, tuple[str, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    backbone: str,
    value: str,
    message: str,
) -> None:
    # Downloads fail here as they would on a machine without a network.
    monkeypatch.setattr(models.WeightsEnum, "get_state_dict", offline)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import, so set here
    torch.save({"conv1.weight": torch.zeros(1), "note": NotATensor(1, 2)}, tmp_path / "pickled.pt")
    files = {"resnet18.pth": str(weights["torchvision"][1]), "pickled.pt": str(tmp_path / "pickled.pt")}
    value = files.get(value, str(tmp_path / value) if value.endswith(".pt") else value)
    with pytest.raises((ValueError, FileNotFoundError), match=message) as raised:
        main(["fit", *data_args, "--model.init_args.backbone", backbone, "--model.init_args.pretrained", value, *QUIET])
    assert f"pretrained={value!r}" in str(raised.value) or "pretrained=true" in str(raised.value)
    # What is accepted instead: the weights' names, or a local state dict.
    assert "it has DEFAULT" in str(raised.value) or "state dict" in str(raised.value)
    assert not list(tmp_path.rglob("*.ckpt")), "training started"
