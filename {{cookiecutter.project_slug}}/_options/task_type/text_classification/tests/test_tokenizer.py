"""The tokenizer: a lossless round trip, learnt from the training split only, kept by the checkpoints."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.data.task import text_id
from {{ cookiecutter.package_name }}.data.tokens import train_tokenizer
from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

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
    vocabulary = Tokenizer.from_str(datamodule.tokenizer).get_vocab()
    # Byte-level BPE marks a word's start with "Ġ": a whole word is one "Ġword" token.
    assert all(f"Ġ{word}" in vocabulary for word in tagged_words(datamodule, split.train))
    unseen = tagged_words(datamodule, split.val + split.test)
    assert unseen and not any(f"Ġ{word}" in vocabulary or word in vocabulary for word in unseen)
    train_texts = [datamodule.catalog.texts[i] for i in split.train]
    assert vocabulary == train_tokenizer(train_texts, datamodule.vocab_size, datamodule.min_frequency).get_vocab()


def test_every_checkpoint_keeps_the_tokenizer_of_the_run(trained_run: TrainedRun) -> None:
    for name in ("best.ckpt", "last.ckpt"):
        model = load_model(trained_run.folder / "checkpoints" / name)
        assert model.hparams.tokenizer == trained_run.cli.datamodule.tokenizer
        assert model.max_length == trained_run.cli.datamodule.max_length
        assert model.truncation == trained_run.cli.datamodule.truncation == "head"


def test_predicting_the_test_split_writes_ids_texts_and_true_labels(
    trained_run: TrainedRun, data_args: list[str]
) -> None:
    checkpoint = trained_run.folder / "checkpoints" / "best.ckpt"
    cli = main(["predict", *data_args, "--ckpt_path", str(checkpoint), "--trainer.enable_progress_bar", "false"])
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    catalog, test = cli.datamodule.catalog, cli.datamodule.split_indices.test
    assert list(rows[0]) == ["sample_id", "text", "true_class", "predicted_class", "probability"]
    assert [row["text"] for row in rows] == [catalog.texts[i] for i in test]
    assert [row["true_class"] for row in rows] == [catalog.label_names[i] for i in test]
    # Each sample's id, as splits.csv gives it.
    assert [row["sample_id"] for row in rows] == [catalog.sample_ids[i] for i in test]


def test_predict_from_a_checkpoint_uses_its_own_tokenizer(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    """Predictions from a checkpoint do not change when the data module would now learn
    another tokenizer (another split seed, another min_frequency) or cut texts elsewhere."""
    checkpoint = trained_run.folder / "checkpoints" / "best.ckpt"
    # As users' files come: surrounding whitespace, a quoted text over two lines, labels for some.
    texts = ["the moon rose over the stands", "  bake the goal thinly ", "zqbbbb salt,\ncomet", "a star"]
    labels = ["astronomy", "", "cooking", "football"]
    texts_file = tmp_path / "new_texts.csv"
    with texts_file.open("w", newline="") as file:
        csv.writer(file).writerows([("text", "label"), *zip(texts, labels, strict=True)])
    changed = [*data_args, "--data.predict_path", str(texts_file)]
    changed += ["--data.min_frequency", "3", "--data.max_length", "2"]
    if hasattr(trained_run.cli.datamodule.split, "seed"):  # every strategy but the predefined one
        changed += ["--data.split.init_args.seed", "7"]
    trained_tokenizer = trained_run.cli.datamodule.tokenizer
    assert main(changed, run=False).datamodule.tokenizer != trained_tokenizer

    cli = main(["predict", *changed, "--ckpt_path", str(checkpoint)])
    assert cli.datamodule.tokenizer == trained_tokenizer
    assert cli.datamodule.max_length == trained_run.cli.datamodule.max_length
    with (run_dir(cli.trainer) / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    answers = load_model(checkpoint).predict(texts)
    # Each text as the file gives it, its id as a training text's, its label where the file has one.
    assert [row["text"] for row in rows] == texts
    assert [row["sample_id"] for row in rows] == [text_id(text) for text in texts]
    assert [row["true_class"] for row in rows] == labels
    assert [row["predicted_class"] for row in rows] == [answer["label"] for answer in answers]
    probabilities = [answer["probabilities"][answer["label"]] for answer in answers]
    assert [float(row["probability"]) for row in rows] == pytest.approx(probabilities, abs=1e-6)
