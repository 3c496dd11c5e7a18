"""The text classifier: encoders by name, output shape, padding ignored, class-weighted loss, and
texts in: tokenized by the model, as the exported tokenizer.json tokenizes them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import torch
from sklearn.metrics import f1_score
from tokenizers import Tokenizer

from {{ cookiecutter.package_name }} import load_model
from {{ cookiecutter.package_name }}.data.tokens import train_tokenizer
from {{ cookiecutter.package_name }}.models import TextClassifier
from {{ cookiecutter.package_name }}.models.encoders import ENCODERS, build_encoder
from {{ cookiecutter.package_name }}.training.cli import main

CLASSES = ["a", "b", "c", "d"]
SPLITS = ("train",) * 5 + ("val", "test")  # a split column's values, for the predefined strategy
TEXTS = ["the telescope saw a comet", "bake the bread for an hour", "the striker scored a late goal"] * 3
# What the data module would link to the model.
LINKED = {
    "class_names": CLASSES,
    "tokenizer": train_tokenizer(TEXTS, vocab_size=300, min_frequency=1).to_str(),
    "vocab_size": 300,
    "max_length": 8,
}


def classifier(**options: Any) -> TextClassifier:
    return TextClassifier(**(LINKED | options))


@pytest.mark.parametrize("encoder", ENCODERS)
def test_encoder_gives_one_logit_per_class_whatever_the_padding(encoder: str) -> None:
    torch.manual_seed(0)
    model = classifier(encoder=encoder, embed_dim=16, hidden_dim=16).eval()
    pad = model.pad_id
    token_ids = torch.tensor([[5, 6, 7, pad], [8, 9, pad, pad]])
    logits = model(token_ids)
    assert logits.shape == (2, 4)
    padded = torch.cat([token_ids, torch.full((2, 5), pad)], dim=1)
    torch.testing.assert_close(model(padded), logits)
    # The shorter text alone gives what it gave in the batch.
    torch.testing.assert_close(model(token_ids[1:, :2]), logits[1:])


def test_the_bag_reads_token_bigrams_unless_turned_off() -> None:
    """With bigrams, the same tokens in another order give another answer; without, the same."""
    torch.manual_seed(0)
    forward, backward = torch.tensor([[5, 6, 7, 8]]), torch.tensor([[8, 7, 6, 5]])
    with_bigrams = classifier(bigram_buckets=64).eval()
    assert with_bigrams.encoder.bigrams.num_embeddings == 64
    assert not torch.allclose(with_bigrams(forward), with_bigrams(backward))
    tokens_alone = classifier(bigram_buckets=0).eval()
    assert tokens_alone.encoder.bigrams is None
    torch.testing.assert_close(tokens_alone(forward), tokens_alone(backward))


def test_unknown_encoder_is_named() -> None:
    with pytest.raises(ValueError, match="Unknown encoder 'rnn'"):
        build_encoder("rnn", 100, 0, 16, 16, 0.1, 1, 2, 0)


def test_padding_embedding_stays_zero_and_class_weights_weigh_the_loss_unless_turned_off() -> None:
    model = classifier(class_weights=[1.0, 3.0, 1.0, 1.0])
    assert model.pad_id == 0
    assert model.encoder.embedding.weight[model.pad_id].abs().sum() == 0
    assert model.loss.weight.tolist() == [1.0, 3.0, 1.0, 1.0]
    assert "loss.weight" in model.state_dict()
    assert classifier(class_weights=[1.0, 3.0, 1.0, 1.0], balance_classes=False).loss.weight is None


def test_texts_become_token_ids_cut_to_max_length_and_padded_to_the_longest() -> None:
    model = classifier(max_length=4)
    short, long = model.read_input("a comet"), model.read_input("the striker scored a late goal again and again")
    assert short["token_ids"].dtype == torch.long
    assert short["token_ids"].tolist() == model.tokenizer.encode("a comet").ids
    assert long["token_ids"].shape == (4,)
    batch = model.collate([short, long])["token_ids"]
    assert batch.shape == (2, 4)
    assert batch[0, len(short["token_ids"]) :].eq(model.pad_id).all()
    answers = model.eval().predict(["a comet", "bake the bread"])
    assert [sorted(answer["probabilities"]) for answer in answers] == [CLASSES, CLASSES]
    assert all(answer["label"] in CLASSES for answer in answers)


@pytest.mark.parametrize(("text", "message"), [(42, "must be a string, not int"), ("", "empty"), (" \t\n", "empty")])
def test_a_text_that_cannot_be_classified_is_refused(text: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classifier().read_input(text)


@pytest.mark.parametrize(
    ("body", "message"),
    [({"texts": "a"}, 'needs "text"'), ({"text": ["a"]}, '"text" must be a string, not list')],
)
def test_a_request_without_a_text_is_refused(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classifier().parse_request(body)


def test_the_exported_tokenizer_gives_the_graphs_input() -> None:
    model = classifier(max_length=5)
    info = model.export_info()
    assert info["inputs"][0]["name"] == "token_ids"
    assert "max_length" in " ".join(info["inputs"][0]["before"])
    exported = Tokenizer.from_str(info["files"]["tokenizer.json"])
    texts = ["a comet", "the striker scored a late goal again", "Bake the BREAD!"]
    expected = model.collate([model.read_input(text) for text in texts])["token_ids"]
    assert [encoding.ids for encoding in exported.encode_batch(texts)] == expected.tolist()


def test_on_imbalanced_classes_the_best_checkpoint_is_the_one_of_the_best_macro_f1(tmp_path: Path) -> None:
    """95 texts of one class for 5 of the other, as in many real sets: the checkpoint's score is
    the macro F1 of its predictions on the validation split, not their accuracy."""
    path = tmp_path / "imbalanced.csv"
    rows = [("text", "label", "split")]
    for number in range(400):
        broken = number % 20 == 0  # 20 of 400
        text = f"{'it broke' if broken else 'works fine'} item zq{number} {'sadly' if number % 3 else 'today'}"
        split = ("train", "train", "train", "val", "test")[number // 20 % 5] if broken else SPLITS[number % 7]
        rows.append((text, "broken" if broken else "fine", split))
    with path.open("w", newline="") as file:
        csv.writer(file).writerows(rows)
    quiet = ["--trainer.enable_progress_bar", "false"]
    cli = main(["fit", "--data.data_path", str(path), "--trainer.max_epochs", "1", *quiet])
    checkpoint = cli.trainer.checkpoint_callback
    assert checkpoint.monitor == "val/f1"
    model = load_model(checkpoint.best_model_path)
    datamodule = cli.datamodule
    val = datamodule.split_indices.val
    truth = [datamodule.catalog.label_names[i] for i in val]
    assert {"broken", "fine"} == set(truth)
    predicted = [answer["label"] for answer in model.predict([datamodule.catalog.texts[i] for i in val])]
    f1 = f1_score(truth, predicted, average="macro", labels=["broken", "fine"], zero_division=0)
    assert float(checkpoint.best_model_score) == pytest.approx(f1, abs=1e-5)
