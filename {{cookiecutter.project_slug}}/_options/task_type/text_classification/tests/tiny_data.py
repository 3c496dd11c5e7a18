"""A tiny text data set for the tests: three topics, each text tagged with a word of its own."""

from __future__ import annotations

import csv
from pathlib import Path

CLASS_PHRASES = {
    "astronomy": ["the telescope saw a comet", "the moon rose over the hills", "a star exploded far away"],
    "cooking": ["the soup needs more salt", "bake the bread for an hour", "slice the onions thinly"],
    "football": ["the striker scored a late goal", "the keeper saved a penalty", "fans sang in the stands"],
}
SAMPLES_PER_SPLIT = {"train": 8, "val": 4, "test": 4}
FILE_NAME = "texts.csv"
TAG_LETTERS = "bcdfghjk"


def tag(number: int) -> str:
    """A made-up word unique to sample `number`, all of one length: `zq` and four letters."""
    letters = []
    for _ in range(4):
        number, digit = divmod(number, len(TAG_LETTERS))
        letters.append(TAG_LETTERS[digit])
    return "zq" + "".join(letters)


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
    return ["--data.data_path", str(path)]
