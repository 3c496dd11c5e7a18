"""The tokenizer: a lossless round trip, learnt from the training split only, saved with the checkpoints."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
import yaml
from lightning.pytorch import LightningModule

from {{ cookiecutter.package_name }}.cli import CONFIG_DIR, main
from {{ cookiecutter.package_name }}.data.text import Collate, load_tokenizer, train_tokenizer
from {{ cookiecutter.package_name }}.runs import run_dir

from .conftest import TrainedRun

TEXTS = ["The striker scored twice, at the stadium!", "Heavy rain is expected later today.", "A new café opened."] * 5


@pytest.mark.parametrize(
    "text",
    [
        "The striker scored twice, at the stadium!",
        "  Unseen words: quixotic zephyrs, naïve façades; 3.14 % ok?  ",
        "Emoji 😀 and tabs\tand double  spaces",
        "\uff26\uff35\uff2c\uff2c width and the \ufb01 ligature",
    ],
)
def test_decoding_gives_the_normalised_text_back(text: str) -> None:
    tokenizer = train_tokenizer(TEXTS, vocab_size=400, min_frequency=2)
    ids = tokenizer.encode(text).ids
    assert tokenizer.token_to_id("<unk>") is None  # byte-level: nothing is unknown
    assert tokenizer.decode(ids) == tokenizer.normalizer.normalize_str(text)


def test_normalisation_is_nfkc_lowercase_stripped() -> None:
    tokenizer = train_tokenizer(TEXTS, vocab_size=400, min_frequency=2)
    assert tokenizer.decode(tokenizer.encode("  \uff28ello,  \ufb01ne WORLD ").ids) == "hello,  fine world"


def test_vocabulary_is_bounded_and_pad_comes_first() -> None:
    tokenizer = train_tokenizer(TEXTS * 20, vocab_size=300, min_frequency=1)
    assert tokenizer.get_vocab_size() <= 300
    assert tokenizer.token_to_id("<pad>") == 0


def tagged_words(datamodule, positions: list[int]) -> set[str]:
    """The tag word that ends each of these texts (see tiny_data)."""
    return {datamodule.catalog.texts[i].split()[-1] for i in positions}


def test_tokenizer_is_learnt_from_the_training_split_only(trained_run: TrainedRun) -> None:
    datamodule = trained_run.cli.datamodule
    split = datamodule.split_indices
    vocabulary = datamodule.tokenizer.get_vocab()
    # Byte-level BPE marks a word's start with "Ġ": a whole word is one "Ġword" token.
    assert all(f"Ġ{word}" in vocabulary for word in tagged_words(datamodule, split.train))
    unseen = tagged_words(datamodule, split.val + split.test)
    assert unseen and not any(f"Ġ{word}" in vocabulary or word in vocabulary for word in unseen)
    train_texts = [datamodule.catalog.texts[i] for i in split.train]
    assert vocabulary == train_tokenizer(train_texts, datamodule.vocab_size, datamodule.min_frequency).get_vocab()


def test_state_dict_carries_the_tokenizer_to_another_data_module(trained_run: TrainedRun, data_args: list[str]) -> None:
    trained = trained_run.cli.datamodule
    other = main([*data_args, "--data.min_frequency", "3"], run=False).datamodule
    assert other.tokenizer.get_vocab() != trained.tokenizer.get_vocab()
    other.load_state_dict(trained.state_dict())
    assert other.tokenizer.get_vocab() == trained.tokenizer.get_vocab()
    assert other.class_names == trained.class_names


def read_predictions(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return list(csv.DictReader(file))


def test_predict_from_a_checkpoint_uses_its_own_tokenizer(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    """Predictions from a checkpoint do not change when the data module would now learn
    another tokenizer (another split seed, another min_frequency)."""
    checkpoint = trained_run.folder / "checkpoints" / "best.ckpt"
    texts = ["the moon rose over the stands", "bake the goal thinly", "zqbbbb salt comet", "a star"]
    texts_file = tmp_path / "new_texts.csv"
    texts_file.write_text("text\n" + "\n".join(texts) + "\n")
    changed = [*data_args, "--data.min_frequency", "3", "--data.predict_path", str(texts_file)]
    split_config = yaml.safe_load((CONFIG_DIR / "split.yaml").read_text())["data"]["init_args"]["split"]
    if "seed" in split_config.get("init_args", {}):  # every strategy but the predefined one
        changed += ["--data.split.init_args.seed", "7"]
    trained_tokenizer = trained_run.cli.datamodule.tokenizer
    assert main(changed, run=False).datamodule.tokenizer.get_vocab() != trained_tokenizer.get_vocab()

    cli = main(["predict", *changed, "--ckpt_path", str(checkpoint)])
    assert cli.datamodule.tokenizer.get_vocab() == trained_tokenizer.get_vocab()
    rows = read_predictions(run_dir(cli.trainer) / "predictions.csv")

    model = LightningModule.load_from_checkpoint(checkpoint, map_location="cpu").eval()
    token_ids, _ = Collate(load_tokenizer(checkpoint), max_length=64)([(text, -1) for text in texts])
    with torch.no_grad():
        probabilities, predicted = model(token_ids).softmax(dim=-1).max(dim=-1)
    assert [row["text"] for row in rows] == texts
    assert [row["predicted_label"] for row in rows] == [cli.datamodule.class_names[i] for i in predicted]
    assert [float(row["probability"]) for row in rows] == pytest.approx(probabilities.tolist(), abs=1e-6)


def test_checkpoint_holds_the_tokenizer_of_the_run(trained_run: TrainedRun, tmp_path: Path) -> None:
    tokenizer = load_tokenizer(trained_run.folder / "checkpoints" / "last.ckpt")
    assert tokenizer.get_vocab() == trained_run.cli.datamodule.tokenizer.get_vocab()
    other = tmp_path / "other.ckpt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(ValueError, match=r"other\.ckpt holds no tokenizer"):
        load_tokenizer(other)
