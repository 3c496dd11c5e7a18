"""Data module for text classification over a CSV or JSON Lines file of texts and labels."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info
from tokenizers import Tokenizer
from torch.utils.data import Dataset

from .cache import cache_entry, digest, write_entry
from .classes import balanced_class_weights, class_indices
from .corpus import write_corpus
from .datamodule import SplitDataModule
from .splitting import Split, SplitIndices
from .tokens import (
    MIN_VOCAB_SIZE,
    TRUNCATIONS,
    TokenizedTexts,
    Truncation,
    pad,
    pad_id,
    pretrained_tokenizer,
    tokenize,
    train_tokenizer,
)

BUNDLED_PATH = Path("data") / "corpus.jsonl"
SUFFIXES = {".csv": "CSV", ".tsv": "TSV", ".jsonl": "JSON Lines"}
SHOWN = 3  # lines named in one message


class Record(NamedTuple):
    """One record of a data file: the line where it starts, the line where it ends (a CSV record
    whose quoted field holds line breaks spans several) and its fields."""

    line: int
    end: int
    fields: dict[str, Any]


class Catalog(NamedTuple):
    """Every sample of the data file (its id, its text as the file gives it, its label and the line
    where it starts) and the classes: the labels, sorted."""

    sample_ids: list[str]
    texts: list[str]
    label_names: list[str]
    class_names: list[str]
    lines: list[int]


def text_id(text: str) -> str:
    """A sample's id from its text alone (surrounding whitespace aside), wherever it is in the file:
    identical texts share their id, and so their split, whatever their labels."""
    return hashlib.blake2b(text.strip().encode(), digest_size=8).hexdigest()


def read_utf8(path: Path) -> str:
    """The text of `path`, which must be UTF-8 (a byte order mark, as spreadsheet programs write, is
    skipped); anything else is refused with the line and column of its first byte that is not."""
    data = path.read_bytes()
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        position = start + error.start
        line = data.count(b"\n", 0, position) + 1
        line_start = data.rfind(b"\n", 0, position) + 1
        column = len(data[max(line_start, start) : position].decode("utf-8", errors="replace")) + 1
        raise ValueError(
            f"{path} line {line} is not UTF-8 (byte 0x{data[position]:02x} at column "
            f"{column}: {error.reason}): save the file as UTF-8 (from Latin-1 or Windows-1252, for instance with "
            f"`iconv -f cp1252 -t utf-8 {path.name}`)."
        ) from error


def read_records(path: Path) -> tuple[list[str], list[Record]]:
    """The column names of `path` (CSV/TSV header, or the fields of the first JSON object) and its
    records. Raises a message naming the file, and the line, for every problem with it.

    CSV follows the usual quoting: a field in double quotes may hold commas, line breaks and doubled
    quotes. TSV has no quoting (`csv.QUOTE_NONE`): each non-empty line is a record, its fields
    split at tabs, quotes kept as they are. A record with more or fewer fields than the header is
    refused (a comma or tab inside an unquoted text), and so is a quote that opens a CSV field and
    never closes (it would swallow the rest of the file)."""
    if not path.is_file():
        raise FileNotFoundError(f"Data file {path} does not exist.")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"Data file {path} has the unsupported extension {path.suffix!r}: use one of {', '.join(SUFFIXES)}."
        )
    text = read_utf8(path)
    if kind == "JSON Lines":
        records = list(_json_records(path, text))
        return (list(records[0].fields) if records else []), records
    # Lines as the csv module reads a file opened with newline="": ended by \n, \r\n or \r.
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE) if kind == "TSV" else csv.reader(lines)
    try:
        columns = next(reader, [])
        rows = []  # (first line, last line, fields)
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if row:  # not a blank line
                rows.append((start, end, row))
    except csv.Error as error:
        raise ValueError(f"{path}, line {end + 1}: cannot read it as {kind} ({error}).") from error
    if kind == "CSV" and rows and _unterminated(lines[rows[-1][0] - 1 :]):
        start, end, _ = rows[-1]
        raise ValueError(
            f"{path}, line {start}: a quote opens a field there and never closes, so the record runs to the end "
            f"of the file ({end - start + 1} lines). Close it, or double a quote that is part of a text "
            '(""), or save the file as TSV, which has no quoting.'
        )
    return columns, [_csv_record(path, kind, columns, *row) for row in rows]


def _csv_record(path: Path, kind: str, columns: list[str], start: int, end: int, row: list[str]) -> Record:
    """The fields of one CSV or TSV row, by column; a row of another length than the header is refused
    (extra fields that are all empty, as some programs write, aside)."""
    extra = row[len(columns) :]
    if len(row) < len(columns) or any(field.strip() for field in extra):
        inside = {
            "TSV": "a tab inside a text? TSV has no quoting: a text cannot hold a tab",
            "CSV": 'a comma inside a text? Put such a text in double quotes ("...")',
        }[kind]
        raise ValueError(
            f"{path}, line {start}: {len(row)} fields where the header has {len(columns)} "
            f"({', '.join(columns)}): {inside}."
        )
    return Record(start, end, dict(zip(columns, row, strict=False)))


def _unterminated(lines: list[str]) -> bool:
    """Whether the CSV record of `lines` (to the end of the file) opens a quoted field and never closes it."""
    try:
        for _ in csv.reader(lines, strict=True):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _json_records(path: Path, text: str) -> Iterator[Record]:
    for line_number, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}, line {line_number}: not valid JSON ({error.msg}).") from error
        if not isinstance(fields, dict):
            raise ValueError(f"{path}, line {line_number}: expected a JSON object, got {type(fields).__name__}.")
        yield Record(line_number, line_number, fields)


def report_multiline(path: Path, records: list[Record], columns: list[str], label_column: str | None = None) -> None:
    """Say so when there are fewer records than lines: the CSV records whose quoted fields hold line
    breaks. Refuse them when lines inside such a field read as records of their own (as many fields as
    the header, a label of the file in the label column): a quote opened and not closed where it
    should have been, which joined the records after it into one text."""
    spanning = [record for record in records if record.end > record.line]
    if not spanning:
        return
    if label_column is not None and len(columns) > 1:
        labels = {str(record.fields.get(label_column, "")).strip() for record in records} - {""}
        position = columns.index(label_column)
        for record in spanning:
            inner = [line for value in record.fields.values() for line in str(value).splitlines()[1:]]
            swallowed = [
                line
                for line in inner
                for fields in csv.reader([line])
                if len(fields) == len(columns) and fields[position].strip() in labels
            ]
            if swallowed:
                raise ValueError(
                    f"{path}, line {record.line}: a quoted field there runs over {record.end - record.line + 1} lines, "
                    f"{len(swallowed)} of which read as records of their own (such as {swallowed[0]!r}): a quote "
                    "that opens a text and is not closed joins the records after it into one. Close it, double a "
                    'quote that is part of a text (""), or save the file as TSV, which has no quoting.'
                )
    lines = sum(record.end - record.line + 1 for record in records)
    where = ", ".join(str(record.line) for record in spanning[:SHOWN])
    rank_zero_info(
        f"{path}: {len(records)} records on {lines} lines: {len(spanning)} of them hold line breaks in quoted "
        f"fields (starting at line {where}{', ...' if len(spanning) > SHOWN else ''})."
    )


def _field(path: Path, record: Record, column: str, role: str, found: Sequence[str], strip: bool = True) -> str:
    """The value of `column` in `record` as a string, stripped (or as given, `strip` false); a named
    error if absent or empty."""
    if column not in record.fields:
        raise ValueError(
            f"{path}, line {record.line}: no {role} column {column!r}; found {', '.join(map(repr, found)) or 'none'}."
        )
    value = record.fields[column]
    text = "" if value is None else str(value)
    if not text.strip():
        raise ValueError(f"{path}, line {record.line}: empty {role} in column {column!r}.")
    return text.strip() if strip else text


def read_texts(path: Path, text_column: str, label_column: str | None = None) -> tuple[list[str], list[str] | None]:
    """The texts of `path` (e.g. to predict), as the file gives them, and their labels (stripped; ""
    where a row has none) where the file has `label_column`, else None."""
    columns, records = read_records(path)
    if text_column not in columns:
        raise ValueError(f"{path} has no text column {text_column!r}; found {', '.join(map(repr, columns)) or 'none'}.")
    report_multiline(path, records, columns)
    texts = [_field(path, record, text_column, "text", list(record.fields), strip=False) for record in records]
    if not texts:
        raise ValueError(f"{path} holds no samples.")
    if label_column is None or label_column not in columns:
        return texts, None
    return texts, [str(record.fields.get(label_column) or "").strip() for record in records]


def list_samples(path: Path, text_column: str, label_column: str, split_column: str) -> Catalog:
    """Read the labelled samples of `path`. A sample's id is a hash of its text (`text_id`), after
    `<split>/` when the file has a `split_column` (what the predefined split reads)."""
    columns, records = read_records(path)
    for column, role in ((text_column, "text"), (label_column, "label")):
        if column not in columns:
            raise ValueError(
                f"{path} has no {role} column {column!r}; found {', '.join(map(repr, columns)) or 'none'}."
            )
    report_multiline(path, records, columns, label_column)
    has_split = split_column in columns
    sample_ids, texts, names, lines = [], [], [], []
    for record in records:
        found = list(record.fields)
        texts.append(_field(path, record, text_column, "text", found, strip=False))
        names.append(_field(path, record, label_column, "label", found))
        lines.append(record.line)
        split = _field(path, record, split_column, "split", found) if has_split else None
        sample_ids.append(f"{split}/{text_id(texts[-1])}" if split else text_id(texts[-1]))
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
        max_length: Texts are cut to this many tokens, the tokenizer's special tokens included.
        truncation: Which tokens of a longer text are kept: `head` (its first), `tail` (its last) or
            `head+tail` (its first quarter and its last three quarters).
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
        vocab_size: int = 8000,
        min_frequency: int = 2,
        max_length: int = 64,
        truncation: Truncation = "head",
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
        if truncation not in TRUNCATIONS:
            raise ValueError(f"truncation={truncation!r}: choose one of {', '.join(TRUNCATIONS)}.")
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
        self.truncation = truncation
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
            return tokenize(tokenizer, self.catalog.texts, self.max_length, self.truncation)
        settings = (self.text_column, digest(self.tokenizer), self.max_length, self.truncation)
        entry = cache_entry(self.cache_dir, self.data_path, "tokens", *settings)
        if not entry.is_dir():
            write_entry(entry, tokenize(tokenizer, self.catalog.texts, self.max_length, self.truncation).save)
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
        lines = [f"line {self.catalog.lines[i]}" for i in positions]
        return class_indices(names, lines, self.class_names, self.data_path)

    def split_dataset(self, positions: list[int], train: bool = False) -> TokenizedSamples:
        dropout = self.word_dropout if train else 0.0
        return TokenizedSamples(self.tokenized, positions, self.labels(positions), dropout)

    def prediction_dataset(self) -> tuple[TokenizedSamples, list[str]]:
        """The test split, or the texts of `predict_path`; named by the texts as the file gives them.
        Sets `predict_samples`: each text's id (the test split's: as in `splits.csv`; a file's: `text_id`,
        the hash a training sample of that text has) and its true class (the label column's, where
        the file has one; "" where not)."""
        if self.predict_path is None:
            positions = self.split_indices.test
            catalog = self.catalog
            self.predict_samples = [(catalog.sample_ids[i], catalog.label_names[i]) for i in positions]
            return self.split_dataset(positions), [catalog.texts[i] for i in positions]
        texts, labels = read_texts(self.predict_path, self.text_column, self.label_column)
        labels = labels or [""] * len(texts)
        self.predict_samples = [(text_id(text), label) for text, label in zip(texts, labels, strict=True)]
        tokenized = tokenize(Tokenizer.from_str(self.tokenizer), texts, self.max_length, self.truncation)
        # Unlabelled: -1 stands for "no class".
        return TokenizedSamples(tokenized, range(len(texts)), [-1] * len(texts)), texts

    def collate_fn(self) -> PadBatch:
        if self.loader_workers() > 0:
            # Texts were tokenized with threads: without this, the tokenizers library warns in every forked worker.
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        return PadBatch(pad_id(Tokenizer.from_str(self.tokenizer)))
