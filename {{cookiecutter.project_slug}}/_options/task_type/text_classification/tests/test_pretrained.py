"""Fine-tuning a pretrained Hugging Face encoder, offline: a tiny BERT saved to a local folder with
its tokenizer, named once (the model's option; the data module follows it), fills the encoder and
tokenizes the texts; a checkpoint predicts with the data and that folder gone; a bad value is
refused before training with what is accepted."""

from __future__ import annotations

import shutil
from pathlib import Path

import huggingface_hub
import pytest
import torch
from tokenizers import Tokenizer
from transformers import BertModel

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .tiny_data import CLASS_PHRASES, MARK, save_tiny_bert, write_tiny_dataset

QUIET = ["--trainer.enable_progress_bar", "false"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def test_one_option_names_the_encoder_and_the_tokenizer(data_args: list[str], tiny_bert: Path) -> None:
    cli = main(
        [*data_args, "--model.init_args.pretrained", str(tiny_bert), "--model.init_args.scheduler", "null"], run=False
    )
    assert cli.datamodule.pretrained == str(tiny_bert)
    tokenizer = Tokenizer.from_str(cli.model.hparams.tokenizer)
    assert tokenizer.token_to_id("[CLS]") == 2
    assert cli.model.pad_id == 0
    saved = BertModel.from_pretrained(tiny_bert).state_dict()
    loaded = cli.model.encoder.model.state_dict()
    assert torch.all(loaded["embeddings.word_embeddings.weight"] == MARK)
    assert all(torch.equal(loaded[key], value) for key, value in saved.items())
    assert cli.model.head[-1].out_features == len(CLASS_PHRASES)
    # The pretrained encoder learns at a tenth of the head's rate.
    encoder, head = cli.model.configure_optimizers().param_groups
    assert encoder["lr"] == pytest.approx(0.1 * head["lr"])


def test_fit_runs_from_a_pretrained_encoder(data_args: list[str], tiny_bert: Path) -> None:
    cli = main(["fit", *data_args, "--model.init_args.pretrained", str(tiny_bert), "--trainer.fast_dev_run", "true"])
    assert cli.trainer.state.finished


def test_a_checkpoint_predicts_with_the_data_and_the_pretrained_folder_gone(tiny_bert: Path, tmp_path: Path) -> None:
    pretrained = tmp_path / "bert"
    shutil.copytree(tiny_bert, pretrained)
    data_args = write_tiny_dataset(tmp_path / "data")
    args = ["--model.init_args.pretrained", str(pretrained), "--trainer.max_epochs", "1", *QUIET]
    cli = main(["fit", *data_args, *args])
    checkpoint = run_dir(cli.trainer) / "checkpoints" / "best.ckpt"
    shutil.rmtree(pretrained)
    shutil.rmtree(tmp_path / "data")
    model = load_model(checkpoint)
    (answer,) = model.predict(["the telescope saw a comet"])
    assert answer["label"] in CLASS_PHRASES
    assert torch.load(checkpoint, weights_only=True)["pretrained_from"] == str(pretrained)
    # The command line too, with the folder still named in the run's config.
    texts = tmp_path / "texts.csv"
    texts.write_text("text\nthe keeper saved a penalty\n")
    predict = ["--config", str(checkpoint.parents[1] / "config.yaml"), "--data.init_args.predict_path", str(texts)]
    predicted = main(["predict", *predict, "--ckpt_path", str(checkpoint), *QUIET])
    assert (run_dir(predicted.trainer) / "predictions.csv").read_text().count("\n") == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [("missing-folder", "no tokenizer could be loaded"), ("someone/no-such-model", "no tokenizer could be loaded")],
)
def test_a_bad_pretrained_value_is_refused_before_training_with_what_is_accepted(
    data_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import, so set here
    value = str(tmp_path / value) if value == "missing-folder" else value
    with pytest.raises(ValueError, match=message) as raised:
        main(["fit", *data_args, "--model.init_args.pretrained", value, *QUIET])
    assert f"pretrained={value!r}" in str(raised.value)
    assert "local folder saved with save_pretrained" in str(raised.value)
    assert not list(tmp_path.rglob("*.ckpt")), "training started"
