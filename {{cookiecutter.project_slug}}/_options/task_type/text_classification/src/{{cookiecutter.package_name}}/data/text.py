"""Data module for text classification over a CSV or JSON Lines file of texts and labels."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from tokenizers import Tokenizer
from torch.utils.data import Dataset

from .cache import cache_entry, digest, write_entry
from .classes import balanced_class_weights, class_indices
from .corpus import write_corpus
from .datamodule import SplitDataModule
from .splitting import Split, SplitIndices
from .tokens import MIN_VOCAB_SIZE, TokenizedTexts, pad, pad_id, pretrained_tokenizer, tokenize, train_tokenizer

BUNDLED_PATH = Path("data") / "corpus.jsonl"
SUFFIXES = {".csv": "CSV", ".tsv": "TSV", ".jsonl": "JSON Lines"}


class Record(NamedTuple):
    """One row of a data file: where it is (its line in the file) and its fields."""

    line: int
    fields: dict[str, Any]


class Catalog(NamedTuple):
    """Every sample of the data file (its id, text, label and line) and the classes: the labels, sorted."""

    sample_ids: list[str]
    texts: list[str]
    label_names: list[str]
    class_names: list[str]
    lines: list[int]


def read_records(path: Path) -> tuple[list[str], Iterator[Record]]:
    """The column names of `path` (CSV/TSV header, or the fields of the first JSON object)
    and its rows. Raises a message naming the file for every problem with it."""
    if not path.is_file():
        raise FileNotFoundError(f"Data file {path} does not exist.")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"Data file {path} has the unsupported extension {path.suffix!r}: use one of {', '.join(SUFFIXES)}."
        )
    if kind == "JSON Lines":
        records = list(_json_records(path))
        return (list(records[0].fields) if records else []), iter(records)
    # utf-8-sig: also reads the byte order mark that spreadsheet programs write.
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file, delimiter="\t" if kind == "TSV" else ",")
        columns = list(reader.fieldnames or [])
        records = [Record(reader.line_num, row) for row in reader]
    return columns, iter(records)


def _json_records(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as file:
        for line_number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}, line {line_number}: not valid JSON ({error.msg}).") from error
            if not isinstance(fields, dict):
                raise ValueError(f"{path}, line {line_number}: expected a JSON object, got {type(fields).__name__}.")
            yield Record(line_number, fields)


def _field(path: Path, record: Record, column: str, role: str, found: Sequence[str]) -> str:
    """The value of `column` in `record` as a stripped string; a named error if absent or empty."""
    if column not in record.fields:
        raise ValueError(
            f"{path}, line {record.line}: no {role} column {column!r}; found {', '.join(map(repr, found)) or 'none'}."
        )
    value = record.fields[column]
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(f"{path}, line {record.line}: empty {role} in column {column!r}.")
    return text


def read_texts(path: Path, text_column: str) -> list[str]:
    """The texts of `path`, labelled or not (e.g. to predict)."""
    columns, records = read_records(path)
    if text_column not in columns:
        raise ValueError(f"{path} has no text column {text_column!r}; found {', '.join(map(repr, columns)) or 'none'}.")
    texts = [_field(path, record, text_column, "text", list(record.fields)) for record in records]
    if not texts:
        raise ValueError(f"{path} holds no samples.")
    return texts


def list_samples(path: Path, text_column: str, label_column: str, split_column: str) -> Catalog:
    """Read the labelled samples of `path`. A sample's id is `<split>/<line>` when the file has
    a `split_column` (what the predefined split reads) and `<line>` otherwise."""
    columns, records = read_records(path)
    for column, role in ((text_column, "text"), (label_column, "label")):
        if column not in columns:
            raise ValueError(
                f"{path} has no {role} column {column!r}; found {', '.join(map(repr, columns)) or 'none'}."
            )
    has_split = split_column in columns
    sample_ids, texts, names, lines = [], [], [], []
    for record in records:
        found = list(record.fields)
        texts.append(_field(path, record, text_column, "text", found))
        names.append(_field(path, record, label_column, "label", found))
        lines.append(record.line)
        split = _field(path, record, split_column, "split", found) if has_split else None
        sample_ids.append(f"{split}/{record.line}" if split else str(record.line))
    if not texts:
        raise ValueError(f"{path} holds no samples.")
    class_names = sorted(set(names))
    if len(class_names) < 2:
        raise ValueError(f"{path} has one label only ({class_names[0]}): a classifier needs two or more.")
    return Catalog(sample_ids, texts, names, class_names, lines)


class TokenizedSamples(Dataset):
    """The texts at `positions` of `texts`, as token ids, with their class index (-1: unlabelled).
    `word_dropout` drops each word (all its tokens) with that probability every time a text is read
    (training augmentation; if every word would go, none does)."""

    def __init__(
        self, texts: TokenizedTexts, positions: Sequence[int], labels: list[int], word_dropout: float = 0.0
    ) -> None:
        self.texts = texts
        self.positions = list(positions)
        self.labels = labels
        self.word_dropout = word_dropout

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        position = self.positions[index]
        tokens = slice(self.texts.offsets[position], self.texts.offsets[position + 1])
        ids = self.texts.ids[tokens]
        if self.word_dropout > 0:
            words = self.texts.words[tokens]
            kept = torch.rand(words.max() + 1).numpy() >= self.word_dropout
            if kept.any():
                ids = ids[(words < 0) | kept[words]]  # special tokens (-1) stay
        return torch.from_numpy(ids.astype(np.int64)), self.labels[index]


class PadBatch:
    """`(token ids, label)` pairs as one batch: the ids, padded with `pad_id` to the longest of the
    batch, and the labels."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor]:
        ids, labels = zip(*batch, strict=True)
        return pad(ids, self.pad_id), torch.tensor(labels, dtype=torch.long)


class TextClassificationDataModule(SplitDataModule):
    """Texts and labels from a CSV, TSV or JSON Lines file, split by `split`.

    The tokenizer is learnt from the training split only, or is a pretrained model's; the model
    receives it (as JSON) and its checkpoints keep it, so that a checkpoint tokenizes as in training
    whatever the data at hand.

    Args:
        split: How samples are assigned to train, val and test.
        data_path: The data file (.csv, .tsv or .jsonl). None: the bundled topic sentences,
            written to `data/corpus.jsonl` in the working folder on first use.
        text_column: The column (or JSON field) holding the text.
        label_column: The column holding the label (any string: the class name).
        split_column: The column naming each row's split (train, val or test), read by the
            predefined split strategy only; never a feature. Optional.
        vocab_size: The tokenizer's largest vocabulary; also the size of the model's
            embedding table, so it does not depend on which texts the split puts in training.
        min_frequency: Pairs of tokens seen fewer times in training are not merged.
        max_length: Texts are cut to this many tokens.
        pretrained: The pretrained model whose tokenizer to use instead of learning one: set from
            `--model.init_args.pretrained` through the config (name it there, once).
        word_dropout: Probability of dropping each word of a training text (augmentation).
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches (0: load in the main process; None: from the
            CPU cores this process may use).
        cache_dir: Where the tokenizer learnt from the training split and the token ids of every
            text are kept (made again when the file, the split or the tokenizer's settings
            change). None: learn the tokenizer and tokenize the texts at every run.
        predict_path: A file of texts to predict (the text column is read; labels are not needed).
            None: the test split.
    """

    def __init__(
        self,
        split: Split,
        data_path: str | None = None,
        text_column: str = "text",
        label_column: str = "label",
        split_column: str = "split",
        vocab_size: int = 2000,
        min_frequency: int = 2,
        max_length: int = 64,
        word_dropout: float = 0.1,
        batch_size: int = 64,
        num_workers: int | None = 0,
        cache_dir: str | None = "data/cache",
        predict_path: str | None = None,
        pretrained: str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        if vocab_size < MIN_VOCAB_SIZE:
            raise ValueError(f"vocab_size={vocab_size}: the byte-level tokenizer needs at least {MIN_VOCAB_SIZE}.")
        if max_length < 1:
            raise ValueError(f"max_length={max_length}: a text needs one token at least.")
        if not 0 <= word_dropout < 1:
            raise ValueError(f"word_dropout={word_dropout} must lie in [0, 1).")
        self.save_hyperparameters(ignore=["split"], logger=False)
        self.data_path = Path(data_path) if data_path else BUNDLED_PATH
        self.uses_bundled_data = data_path is None
        self.text_column = text_column
        self.label_column = label_column
        self.split_column = split_column
        self.vocab_size = vocab_size
        self.min_frequency = min_frequency
        self.max_length = max_length
        self.word_dropout = word_dropout
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.predict_path = Path(predict_path) if predict_path else None
        self.pretrained = pretrained

    def prepare_data(self) -> None:
        """Write the bundled corpus if it is the data and not on disk yet. Runs once per machine."""
        if self.predict_path is not None and self.trainer is not None and self.trainer.predicting:
            return  # predicting other texts: the training data are not needed, nor read
        if self.uses_bundled_data:
            write_corpus(self.data_path)

    @cached_property
    def catalog(self) -> Catalog:
        # The linked values need the catalog before the trainer calls prepare_data.
        if self.uses_bundled_data:
            write_corpus(self.data_path)
        return list_samples(self.data_path, self.text_column, self.label_column, self.split_column)

    @property
    def sample_ids(self) -> list[str]:
        return self.catalog.sample_ids

    @cached_property
    def split_indices(self) -> SplitIndices:
        catalog = self.catalog
        split = self.split.assign(catalog.sample_ids, catalog.label_names)
        seen = {catalog.label_names[i] for i in split.train}
        for name, positions in (("val", split.val), ("test", split.test)):
            unseen = [i for i in positions if catalog.label_names[i] not in seen]
            if unseen:
                raise ValueError(
                    f"{self.data_path}, line {catalog.lines[unseen[0]]}: label {catalog.label_names[unseen[0]]!r} is "
                    f"in the {name} split but never in the training split: the model cannot learn it. Add training "
                    "samples or change the split."
                )
        return split

    @cached_property
    def tokenizer(self) -> str:
        """The tokenizer, as its JSON (`Tokenizer.to_str()`): the pretrained model's, or learnt from
        the training texts only (once: kept in the cache)."""
        if self.pretrained:
            return pretrained_tokenizer(self.pretrained).to_str()
        train = self.split_indices.train

        def learnt() -> str:
            texts = [self.catalog.texts[i] for i in train]
            return train_tokenizer(texts, self.vocab_size, self.min_frequency).to_str()

        if self.cache_dir is None:
            return learnt()
        settings = (self.text_column, self.vocab_size, self.min_frequency, digest(str(train)))
        entry = cache_entry(self.cache_dir, self.data_path, "tokenizer", *settings)
        if not entry.is_dir():
            write_entry(entry, lambda folder: (folder / "tokenizer.json").write_text(learnt(), encoding="utf-8"))
        return (entry / "tokenizer.json").read_text(encoding="utf-8")

    @cached_property
    def tokenized(self) -> TokenizedTexts:
        """Every text of the data file as token ids, by the tokenizer (learnt or the checkpoint's)."""
        tokenizer = Tokenizer.from_str(self.tokenizer)
        if self.cache_dir is None:
            return tokenize(tokenizer, self.catalog.texts, self.max_length)
        settings = (self.text_column, digest(self.tokenizer), self.max_length)
        entry = cache_entry(self.cache_dir, self.data_path, "tokens", *settings)
        if not entry.is_dir():
            write_entry(entry, tokenize(tokenizer, self.catalog.texts, self.max_length).save)
        return TokenizedTexts.load(entry)

    @cached_property
    def class_names(self) -> list[str]:
        """The labels, in the order of the model's outputs: sorted."""
        return self.catalog.class_names

    @cached_property
    def class_weights(self) -> list[float]:
        """Per-class loss weights, inversely proportional to class frequency in the training split."""
        return balanced_class_weights(self.labels(self.split_indices.train), self.class_names, self.data_path)

    def labels(self, positions: list[int]) -> list[int]:
        """The class indices of the samples at `positions`, in the model's output order."""
        names = [self.catalog.label_names[i] for i in positions]
        return class_indices(names, [self.sample_ids[i] for i in positions], self.class_names, self.data_path)

    def split_dataset(self, positions: list[int], train: bool = False) -> TokenizedSamples:
        dropout = self.word_dropout if train else 0.0
        return TokenizedSamples(self.tokenized, positions, self.labels(positions), dropout)

    def prediction_dataset(self) -> tuple[TokenizedSamples, list[str]]:
        # A text is named by itself in the predictions.
        if self.predict_path is None:
            positions = self.split_indices.test
            return self.split_dataset(positions), [self.catalog.texts[i] for i in positions]
        texts = read_texts(self.predict_path, self.text_column)
        tokenized = tokenize(Tokenizer.from_str(self.tokenizer), texts, self.max_length)
        # Unlabelled: -1 stands for "no class".
        return TokenizedSamples(tokenized, range(len(texts)), [-1] * len(texts)), texts

    def collate_fn(self) -> PadBatch:
        if self.loader_workers() > 0:
            # Texts were tokenized with threads: without this, the tokenizers library warns in every forked worker.
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        return PadBatch(pad_id(Tokenizer.from_str(self.tokenizer)))
