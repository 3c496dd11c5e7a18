"""A tiny text data set for the tests: three topics, each text tagged with a word of its own; texts
to predict, as the command line, the Python API and the server take them."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

# What `plots.callback.Plots` draws of the test split, besides the learning curves.
TEST_FIGURES = ("confusion_matrix", "confusion_matrix_normalized", "per_class_scores", "roc_curves")
CLASS_PHRASES = {
    "astronomy": ["the telescope saw a comet", "the moon rose over the hills", "a star exploded far away"],
    "cooking": ["the soup needs more salt", "bake the bread for an hour", "slice the onions thinly"],
    "football": ["the striker scored a late goal", "the keeper saved a penalty", "fans sang in the stands"],
}
SAMPLES_PER_SPLIT = {"train": 8, "val": 4, "test": 4}
FILE_NAME = "texts.csv"
# The bigram table for a few dozen texts: the default's 65,536 rows would put 50 MB in every checkpoint of the tests.
TINY_BIGRAM_BUCKETS = 256
TAG_LETTERS = "bcdfghjk"


def tag(number: int) -> str:
    """A made-up word unique to sample `number`, all of one length: `zq` and four letters."""
    letters = []
    for _ in range(4):
        number, digit = divmod(number, len(TAG_LETTERS))
        letters.append(TAG_LETTERS[digit])
    return "zq" + "".join(letters)


# The tiny BERT's special tokens, and a value no initialization gives its embeddings: the encoder
# holds the folder's tensors, not its own.
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MARK = 0.0123


def save_tiny_bert(folder: Path) -> Path:
    """A BERT of two layers and hidden size 32, with a WordPiece tokenizer of the tiny data's words
    (`bert_words`), saved to `folder` as `save_pretrained` saves a model from the hub."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = bert_words()
    (folder / "vocab.txt").write_text("\n".join([*SPECIAL_TOKENS, *words]) + "\n")
    # The vocabulary file by position: transformers 4 names the argument vocab_file, 5 vocab.
    BertTokenizerFast(str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(SPECIAL_TOKENS) + len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    model = BertModel(config)
    with torch.no_grad():
        model.embeddings.word_embeddings.weight.fill_(MARK)
    model.save_pretrained(folder)
    return folder


def bert_words() -> list[str]:
    """The words of the tiny data's phrases, sorted: the tiny BERT's vocabulary."""
    return sorted({word for phrases in CLASS_PHRASES.values() for phrase in phrases for word in phrase.split()})


def write_tiny_dataset(root: Path) -> list[str]:
    """Write `root/texts.csv` (columns text, label, split) and return the arguments that point
    the data module at it. Each text ends with its own tag word, twice: the tokenizer learns the
    tags of the training texts as whole tokens, and no other."""
    rows = []
    for split, count in SAMPLES_PER_SPLIT.items():
        for label, phrases in CLASS_PHRASES.items():
            for number in range(count):
                word = tag(len(rows))
                rows.append({"text": f"{phrases[number % len(phrases)]} {word} {word}", "label": label, "split": split})
    root.mkdir(parents=True, exist_ok=True)
    path = root / FILE_NAME
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=["text", "label", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return ["--data.data_path", str(path), "--model.init_args.bigram_buckets", str(TINY_BIGRAM_BUCKETS)]


# Unseen words, punctuation, accents, an emoji, a line break, and a text of more tokens than
# max_length (64): cut as in training.
PREDICT_TEXTS = [
    "the moon rose over the stands",
    'Bake the bread, "slowly"!',
    "Naïve café ⚽ on\ntwo lines",
    "the wind/rain zqxv " * 12 + "and the striker scored",
]


def write_predict_inputs(folder: Path) -> tuple[list[str], list[Any], list[dict[str, Any]]]:
    """Texts to predict, three ways: the arguments of the predict subcommand (a JSON Lines file),
    sources for `model.predict` and request bodies for `serve`, in the same order."""
    folder.mkdir(parents=True)
    path = folder / "texts.jsonl"
    path.write_text("".join(json.dumps({"text": text}) + "\n" for text in PREDICT_TEXTS))
    return ["--data.predict_path", str(path)], list(PREDICT_TEXTS), [{"text": text} for text in PREDICT_TEXTS]


def bad_requests() -> list[tuple[dict[str, Any], str]]:
    """Request bodies that `serve` refuses with a 4xx status, and what its message says."""
    return [
        ({"texts": ["a comet"]}, '"text"'),
        ({"text": 42}, "must be a string"),
        ({"text": "  "}, "empty"),
    ]


def same_prediction(row: dict[str, str], answer: dict[str, Any]) -> None:
    """A row of predictions.csv and the Python API's answer for the same text agree."""
    assert row["predicted_class"] == answer["label"]
    assert float(row["probability"]) == pytest.approx(answer["probabilities"][answer["label"]], abs=1e-5)
