"""The text data module: reading files, lazy linked values, per-split datasets, a checkpoint's
values, bad data."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer
from torch.utils.data import Subset

from {{ cookiecutter.package_name }}.data import TextClassificationDataModule, task
from {{ cookiecutter.package_name }}.data.corpus import TOPICS, write_corpus
from {{ cookiecutter.package_name }}.data.splitting import Split, SplitIndices
from {{ cookiecutter.package_name }}.data.task import list_samples, read_texts, text_id
from {{ cookiecutter.package_name }}.data.tokens import TokenizedTexts, token_ids, tokenize
from {{ cookiecutter.package_name }}.training.cli import main

from .tiny_data import CLASS_PHRASES, PREDICT_TEXTS, SAMPLES_PER_SPLIT


class FixedSplit(Split):
    """The first rows train, the next validate, the last test: a split the test chooses."""

    def __init__(self, train: int, val: int) -> None:
        self.train, self.val = train, val

    def assign(self, sample_ids: Sequence[str], labels: Sequence[Hashable]) -> SplitIndices:
        positions = list(range(len(sample_ids)))
        end = self.train + self.val
        return SplitIndices(positions[: self.train], positions[self.train : end], positions[end:])


def make_datamodule(data_args: list[str], *extra: str) -> TextClassificationDataModule:
    """The data module exactly as the configs build it."""
    return main([*data_args, *extra], run=False).datamodule


@pytest.fixture(scope="module")
def datamodule(tmp_path_factory: pytest.TempPathFactory, data_args: list[str]) -> TextClassificationDataModule:
    """One data module on the tiny data, built in its own folder, for the tests that only read it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("datamodule"))
        return make_datamodule(data_args)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_linked_values_are_known_before_setup(data_args: list[str]) -> None:
    datamodule = make_datamodule(data_args)
    assert not hasattr(datamodule, "train_dataset")
    assert datamodule.class_names == sorted(CLASS_PHRASES)
    assert (datamodule.vocab_size, datamodule.max_length) == (8000, 64)
    assert Tokenizer.from_str(datamodule.tokenizer).token_to_id("<pad>") == 0

    train_labels = datamodule.labels(datamodule.split_indices.train)
    counts = Counter(train_labels)
    expected = [len(train_labels) / (len(counts) * counts[c]) for c in range(len(CLASS_PHRASES))]
    assert datamodule.class_weights == pytest.approx(expected)
    assert all(isinstance(weight, float) for weight in datamodule.class_weights)


def test_linked_values_read_the_data_only_when_asked(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.csv", ["text,label", "a b,x", "c d,y", "a c,x", "b d,y", "a d,x", "b c,y"])
    datamodule = TextClassificationDataModule(FixedSplit(train=4, val=1), data_path=str(path))
    assert not {"catalog", "split_indices", "tokenizer"} & set(vars(datamodule))
    assert datamodule.class_names == ["x", "y"]
    assert "catalog" in vars(datamodule) and "tokenizer" not in vars(datamodule)
    assert Tokenizer.from_str(datamodule.tokenizer).get_vocab_size() > 0
    assert "tokenizer" in vars(datamodule)


def test_linked_values_reach_the_model(data_args: list[str]) -> None:
    cli = main([*data_args, "--data.vocab_size", "600", "--data.max_length", "20"], run=False)
    model, datamodule = cli.model, cli.datamodule
    assert model.hparams.vocab_size == model.encoder.embedding.num_embeddings == 600
    assert model.hparams.max_length == model.max_length == 20
    assert model.hparams.class_names == model.class_names == sorted(CLASS_PHRASES)
    assert model.hparams.tokenizer == datamodule.tokenizer
    assert model.tokenizer.get_vocab() == Tokenizer.from_str(datamodule.tokenizer).get_vocab()
    assert model.pad_id == model.encoder.embedding.padding_idx == 0
    assert model.loss.weight.tolist() == pytest.approx(datamodule.class_weights)


def test_one_plain_dataset_per_split_with_train_only_augmentation(datamodule: TextClassificationDataModule) -> None:
    datamodule.setup("fit")
    datamodule.setup("test")
    datasets = [datamodule.train_dataset, datamodule.val_dataset, datamodule.test_dataset]
    assert not any(isinstance(dataset, Subset) for dataset in datasets)
    assert sum(len(dataset) for dataset in datasets) == len(CLASS_PHRASES) * sum(SAMPLES_PER_SPLIT.values())
    assert datamodule.train_dataset.word_dropout > 0
    assert datamodule.val_dataset.word_dropout == datamodule.test_dataset.word_dropout == 0
    # Evaluation reads the text as it is; training drops whole words, each with word_dropout's
    # probability, differently on every read.
    tokenizer = Tokenizer.from_str(datamodule.tokenizer)
    ids, label = datamodule.val_dataset[0]
    assert ids.tolist() == tokenizer.encode(datamodule.catalog.texts[datamodule.split_indices.val[0]]).ids
    assert label == datamodule.val_dataset.labels[0]
    torch.manual_seed(0)
    words = datamodule.catalog.texts[datamodule.split_indices.train[0]].split()
    reads = [tokenizer.decode(datamodule.train_dataset[0][0].tolist()).split() for _ in range(2000)]
    assert len({tuple(read) for read in reads}) > 1
    for read in reads:
        remaining = iter(words)
        assert all(word in remaining for word in read)  # the text's words, in order
    kept = sum(len(read) for read in reads) / (len(reads) * len(words))
    assert kept == pytest.approx(1 - datamodule.word_dropout, abs=0.02)


def test_batches_are_token_ids_padded_with_pad_id(datamodule: TextClassificationDataModule) -> None:
    datamodule.setup("validate")
    token_ids, labels = next(iter(datamodule.val_dataloader()))
    assert token_ids.dtype == labels.dtype == torch.long
    assert token_ids.shape[0] == labels.shape[0] == min(datamodule.batch_size, len(datamodule.val_dataset))
    tokenizer = Tokenizer.from_str(datamodule.tokenizer)
    pad_id = tokenizer.token_to_id("<pad>")
    lengths = (token_ids != pad_id).sum(dim=1)
    for row, length in zip(token_ids, lengths.tolist(), strict=True):
        assert (row[length:] == pad_id).all() and (row[:length] != pad_id).all()
    texts = [datamodule.catalog.texts[i] for i in datamodule.split_indices.val[:8]]
    decoded = [tokenizer.decode(row[:length].tolist()) for row, length in zip(token_ids, lengths, strict=True)]
    assert decoded == texts


def test_texts_are_cut_to_max_length(datamodule: TextClassificationDataModule) -> None:
    tokenized = tokenize(Tokenizer.from_str(datamodule.tokenizer), ["a long text of many words", "short"], 3)
    lengths = np.diff(tokenized.offsets).tolist()
    assert lengths[0] == 3 and 1 <= lengths[1] <= 3


def test_a_text_has_the_same_token_ids_whichever_path_reads_it(
    datamodule: TextClassificationDataModule, tmp_path: Path
) -> None:
    tokenizer = Tokenizer.from_str(datamodule.tokenizer)
    datamodule.setup("test")
    positions = datamodule.split_indices.test
    texts = [datamodule.catalog.texts[i] for i in positions]
    # The data file's texts, tokenized with the batch encoding and kept in the cache.
    dataset_ids = [datamodule.test_dataset[index][0].tolist() for index in range(len(positions))]
    # Texts to predict: accents, an emoji, a line break, more tokens than max_length.
    path = write_lines(tmp_path / "new.jsonl", [json.dumps({"text": text}) for text in PREDICT_TEXTS])
    predicting = TextClassificationDataModule(datamodule.split, predict_path=str(path))
    predicting.use_fitted({"tokenizer": datamodule.tokenizer, "max_length": datamodule.max_length})
    predicting.setup("predict")
    predicted_ids = [ids.tolist() for ids, _ in predicting.predict_dataset]
    # As the Python API and the server tokenize one text.
    expected = [token_ids(tokenizer, text, datamodule.max_length).tolist() for text in [*texts, *PREDICT_TEXTS]]
    assert [*dataset_ids, *predicted_ids] == expected
    assert len(expected[-1]) == datamodule.max_length


def test_texts_are_tokenized_once_and_again_when_the_file_or_the_tokenizer_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_lines(tmp_path / "data.csv", ["text,label", "a b,x", "c d,y", "a c,x", "b d,y", "a d,x", "b c,y"])
    calls = Counter()
    for name in ("tokenize", "train_tokenizer"):
        function = getattr(task, name)
        monkeypatch.setattr(task, name, lambda *args, f=function, n=name: calls.update([n]) or f(*args))

    def tokenized(cache_dir: Path | None = tmp_path / "cache", **settings: int) -> TokenizedTexts:
        split = FixedSplit(train=4, val=1)
        return TextClassificationDataModule(split, str(path), cache_dir=cache_dir, **settings).tokenized

    first = tokenized()
    assert calls == {"tokenize": 1, "train_tokenizer": 1}
    for again in (tokenized(), tokenized(cache_dir=None)):
        for values, expected in zip(again, first, strict=True):
            np.testing.assert_array_equal(values, expected)
    assert calls == {"tokenize": 2, "train_tokenizer": 2}  # once more, without a cache
    tokenized(max_length=1)
    assert calls == {"tokenize": 3, "train_tokenizer": 2}
    tokenized(vocab_size=300)
    assert calls == {"tokenize": 4, "train_tokenizer": 3}
    stamp = path.stat().st_mtime_ns
    path.write_text(path.read_text() + "a b c d,x\n")
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))  # a new time, whatever the clock's resolution
    assert len(tokenized(vocab_size=300).offsets) == len(first.offsets) + 1
    assert calls == {"tokenize": 5, "train_tokenizer": 4}
    # One entry of each kind: those of the file as it was, or of other settings, are deleted.
    assert sorted(entry.name.split("-")[2] for entry in (tmp_path / "cache").iterdir()) == ["tokenizer", "tokens"]


def test_bundled_corpus_is_written_once_and_used_by_default(data_args: list[str], isolated: Path) -> None:
    datamodule = make_datamodule(data_args, "--data.data_path", "null")
    assert datamodule.data_path == Path("data") / "corpus.jsonl"
    assert datamodule.class_names == sorted(TOPICS)
    samples = [json.loads(line) for line in datamodule.data_path.read_text().splitlines()]
    assert len(samples) == len(datamodule.catalog.texts) >= 3000
    shares = Counter(sample["split"] for sample in samples)
    assert shares["train"] / len(samples) == pytest.approx(0.7, abs=0.01)
    assert shares["val"] == shares["test"]
    for split in ("train", "val", "test"):
        assert {sample["label"] for sample in samples if sample["split"] == split} == set(TOPICS)
    stamp = datamodule.data_path.stat().st_mtime_ns
    write_corpus(datamodule.data_path)
    assert datamodule.data_path.stat().st_mtime_ns == stamp
    # The corpus is made by code: the same on every machine.
    write_corpus(isolated / "again.jsonl")
    assert (isolated / "again.jsonl").read_bytes() == datamodule.data_path.read_bytes()


def test_jsonl_and_csv_are_read_alike(tmp_path: Path) -> None:
    rows = [{"body": "Rain again", "topic": "weather"}, {"body": "Goal!", "topic": 7}]
    jsonl = write_lines(tmp_path / "data.jsonl", [json.dumps(row) for row in rows])
    csv = write_lines(tmp_path / "data.csv", ["body,topic", '"Rain again",weather', "Goal!,7"])
    for path in (jsonl, csv):
        catalog = list_samples(path, "body", "topic", "split")
        assert catalog.texts == ["Rain again", "Goal!"]
        assert catalog.class_names == ["7", "weather"]
        assert catalog.label_names == ["weather", "7"]
        # No split column: the ids are hashes of the texts; with the predefined split they belong to no split.
        assert catalog.sample_ids == [text_id("Rain again"), text_id("Goal!")]
        assert catalog.lines == ([1, 2] if path.suffix == ".jsonl" else [2, 3])  # the header is line 1


def test_split_column_names_the_sample_ids(datamodule: TextClassificationDataModule) -> None:
    catalog = datamodule.catalog
    assert Counter(sample_id.split("/")[0] for sample_id in catalog.sample_ids) == {
        split: count * len(CLASS_PHRASES) for split, count in SAMPLES_PER_SPLIT.items()
    }


def test_a_checkpoints_values_predict_texts_without_reading_the_training_data(
    datamodule: TextClassificationDataModule, tmp_path: Path
) -> None:
    texts = write_lines(tmp_path / "new.jsonl", ['{"text": "a comet over the hills"}', '{"text": "more salt please"}'])
    fitted = {"tokenizer": datamodule.tokenizer, "max_length": 2, "class_names": datamodule.class_names}
    predicting = TextClassificationDataModule(
        datamodule.split, data_path=str(tmp_path / "gone.csv"), predict_path=str(texts), batch_size=8
    )
    predicting.use_fitted(fitted)
    predicting.setup("predict")
    assert predicting.predict_names == ["a comet over the hills", "more salt please"]
    token_ids, _ = next(iter(predicting.predict_dataloader()))
    assert token_ids.shape == (2, 2)
    assert "catalog" not in vars(predicting)


def test_evaluating_a_checkpoint_refuses_labels_it_does_not_know(data_args: list[str]) -> None:
    evaluating = make_datamodule(data_args)
    evaluating.use_fitted({"class_names": ["astronomy", "cooking", "tennis"]})
    with pytest.raises(
        ValueError, match=r"texts\.csv has samples of class 'football' .*, which the model does not know"
    ):
        evaluating.setup("test")


@pytest.mark.parametrize(
    ("name", "lines", "message"),
    [
        ("absent.csv", None, r"absent\.csv does not exist"),
        ("data.parquet", ["x"], r"data\.parquet has the unsupported extension '\.parquet'"),
        ("data.csv", ["body,label", "hi,a"], r"data\.csv has no text column 'text'; found 'body', 'label'"),
        ("data.jsonl", ['{"text": "hi", "tag": "a"}'], r"data\.jsonl has no label column 'label'; found 'text', 'tag'"),
        ("data.csv", ["text,label", "hi,a", "  ,b"], r"data\.csv, line 3: empty text in column 'text'"),
        ("data.jsonl", ['{"text": "hi", "label": "a"}', '{"text": "", "label": "b"}'], r"line 2: empty text"),
        ("data.jsonl", ['{"text": "hi", "label": "a"}', "{oops"], r"data\.jsonl, line 2: not valid JSON"),
        ("data.jsonl", ['{"text": "hi", "label": "a"}', '{"text": "yo"}'], r"line 2: no label column 'label'"),
        ("data.csv", ["text,label", "hi,a", "yo,a"], r"data\.csv has one label only \(a\)"),
        ("data.csv", ["text,label"], r"data\.csv holds no samples"),
    ],
)
def test_bad_data_file_is_named_in_the_error(tmp_path: Path, name: str, lines: list[str] | None, message: str) -> None:
    path = tmp_path / name
    if lines is not None:
        write_lines(path, lines)
    with pytest.raises((FileNotFoundError, ValueError), match=message):
        list_samples(path, "text", "label", "split")


def test_label_never_seen_in_training_is_named(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.csv", ["text,label", "a,cat", "b,dog", "c,cat", "d,dog", "e,bird"])
    datamodule = TextClassificationDataModule(FixedSplit(train=2, val=2), data_path=str(path))
    with pytest.raises(ValueError, match=r"data\.csv, line 6: label 'bird' is in the test split but never in the"):
        _ = datamodule.class_weights


def test_bad_data_stops_the_cli_before_training(tmp_path: Path, data_args: list[str]) -> None:
    path = write_lines(tmp_path / "data.csv", ["words,label", "hi,a"])
    with pytest.raises(ValueError, match=r"no text column 'text'; found 'words', 'label'"):
        main(["fit", *data_args, "--data.data_path", str(path)])


# Data as users have them: quotes inside TSV texts, CSV texts over several lines, quotes left open,
# files saved in Latin-1, rows inserted at the top.


def test_tsv_is_read_without_quote_processing_one_record_a_line(tmp_path: Path) -> None:
    """A TSV text that starts with a quote does not swallow the lines after it, and quotes stay."""
    rows = [(f"review number {number} was fine", "good" if number % 2 else "bad") for number in range(12)]
    rows[1] = ('"Best" purchase ever', "good")
    rows[2] = ('"Broke after a day, do not buy', "bad")  # a quote that never closes
    rows[9] = ('Five stars "', "good")
    path = write_lines(tmp_path / "reviews.tsv", ["text\tlabel", *(f"{text}\t{label}" for text, label in rows), ""])
    catalog = list_samples(path, "text", "label", "split")
    assert catalog.texts == [text for text, _ in rows]
    assert catalog.label_names == [label for _, label in rows]
    assert catalog.lines == list(range(2, 14))


def test_csv_texts_may_span_lines_and_the_reader_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = ["text,label", '"First line', 'second line, with a comma",good', "plain,bad", '"a ""quoted"" word",good']
    path = write_lines(tmp_path / "data.csv", lines)
    with caplog.at_level("INFO"):
        catalog = list_samples(path, "text", "label", "split")
    assert catalog.texts == ["First line\nsecond line, with a comma", "plain", 'a "quoted" word']
    assert catalog.lines == [2, 4, 5]  # where each record starts
    assert "3 records on 4 lines: 1 of them hold line breaks in quoted fields (starting at line 2)" in caplog.text


def test_a_bad_record_is_named_by_the_line_where_it_starts(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.csv", ["text,label", "ok,good", '"one', "two", 'three",', "fine,bad"])
    with pytest.raises(ValueError, match=r"data\.csv, line 3: empty label in column 'label'"):
        list_samples(path, "text", "label", "split")


def test_a_quote_left_open_is_refused_where_it_swallows_records(tmp_path: Path) -> None:
    lines = ["text,label", "fine,good", '"Great product,good', "Another review,bad", "Third one,good"]
    lines += ['"Nice" one,bad', "last,good"]
    path = write_lines(tmp_path / "data.csv", lines)
    message = r"data\.csv, line 3: a quoted field there runs over 4 lines, 2 of which read as records"
    with pytest.raises(ValueError, match=message):
        list_samples(path, "text", "label", "split")


def test_a_quote_left_open_to_the_end_of_the_file_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.csv", ["text,label", "ok,good", "fine,bad", '"never closed,good', "more,bad"])
    for read in (lambda: list_samples(path, "text", "label", "split"), lambda: read_texts(path, "text")):
        with pytest.raises(ValueError, match=r"data\.csv, line 4: a quote opens a field there and never closes"):
            read()


@pytest.mark.parametrize(
    ("name", "lines", "message"),
    [
        ("data.csv", ["text,label", "Great, really great,good"], r"line 2: 3 fields where the header has 2 .*comma"),
        ("data.tsv", ["text\tlabel", "a\ttab\tgood"], r"line 2: 3 fields where the header has 2 .*tab"),
        ("data.csv", ["text,label,split", "only two,good"], r"line 2: 2 fields where the header has 3"),
    ],
)
def test_a_row_of_another_length_than_the_header_is_refused(
    tmp_path: Path, name: str, lines: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        list_samples(write_lines(tmp_path / name, lines), "text", "label", "split")


def test_trailing_empty_fields_are_ignored(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.csv", ["text,label", "a b,x,,", "c d,y"])
    assert list_samples(path, "text", "label", "split").texts == ["a b", "c d"]


@pytest.mark.parametrize("name", ["reviews.csv", "reviews.tsv", "reviews.jsonl"])
def test_a_file_that_is_not_utf8_is_refused_by_line_and_column(tmp_path: Path, name: str) -> None:
    """A file saved as Latin-1 (Windows-1252), as spreadsheet programs may: é is the byte 0xe9."""
    separator = {".csv": ",", ".tsv": "\t"}.get(Path(name).suffix)
    rows = [("Nice little place", "good"), ("Awful service", "bad"), ("Le café était froid", "bad")]
    if separator:
        text = "\n".join(["text" + separator + "label", *(separator.join(row) for row in rows)]) + "\n"
    else:
        text = "".join(json.dumps({"text": t, "label": label}, ensure_ascii=False) + "\n" for t, label in rows)
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    line, column = (4, 7) if separator else (3, 17)
    where = rf"{name.replace('.', '[.]')} line {line}"
    message = rf"{where} is not UTF-8 \(byte 0xe9 at column {column}.*save the file as UTF-8"
    with pytest.raises(ValueError, match=message):
        list_samples(path, "text", "label", "split")
    with pytest.raises(ValueError, match=message):
        read_texts(path, "text")
    # The same file in UTF-8, with the byte order mark some programs write, reads.
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert list_samples(path, "text", "label", "split").texts[2] == "Le café était froid"


def test_a_sample_id_is_a_hash_of_its_text_wherever_its_row_is(
    tmp_path: Path, datamodule: TextClassificationDataModule
) -> None:
    texts = [f"text number {number}" for number in range(40)]
    rows = [f"{text},{'x' if number % 3 else 'y'}" for number, text in enumerate(texts)]
    before = list_samples(write_lines(tmp_path / "before.csv", ["text,label", *rows]), "text", "label", "split")
    # Rows inserted at the top, one of them a text already there (with another label), one moved to the end.
    inserted = ["a new text,x", "text number 5,x", *rows[1:], rows[0]]
    after = list_samples(write_lines(tmp_path / "after.csv", ["text,label", *inserted]), "text", "label", "split")
    ids_before = dict(zip(before.texts, before.sample_ids, strict=True))
    pairs = zip(after.texts, after.sample_ids, strict=True)
    assert all(ids_before[text] == sample_id for text, sample_id in pairs if text in ids_before)
    assert after.sample_ids[1] == after.sample_ids[6] == text_id("text number 5")
    assert len(set(before.sample_ids)) == len(texts)
    # Surrounding whitespace aside: a text to predict has the id of the same training text.
    assert text_id("  text number 5 \n") == text_id("text number 5")
    split = datamodule.split
    if hasattr(split, "split_of"):  # the random split: every text keeps its split
        assert [split.split_of(text_id(text)) for text in texts] == [split.split_of(i) for i in before.sample_ids]


def test_texts_to_predict_are_kept_as_given_with_their_labels_where_the_file_has_them(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "new.tsv", ["text\tlabel", "  padded text \t x ", '"quoted"\t', "plain\ty"])
    assert read_texts(path, "text", "label") == (["  padded text ", '"quoted"', "plain"], ["x", "", "y"])
    assert read_texts(path, "text", "stars") == (["  padded text ", '"quoted"', "plain"], None)
