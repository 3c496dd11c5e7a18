"""One truncation, the tokenizer's own, everywhere: a long text gets the same token ids in training
(the data module's dataset), from `predict` (a file to predict, and the Python API's `read_input`),
from `serve` (`parse_request`, then `read_input`) and from the exported `tokenizer.json` (with
`model.json`'s steps), whichever tokens `truncation` keeps; and those are the tokenizer's, its
special tokens kept, with a learnt tokenizer and with a pretrained one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tokenizers import Encoding, Tokenizer

from {{ cookiecutter.package_name }}.data import TextClassificationDataModule
from {{ cookiecutter.package_name }}.training.cli import main

from .tiny_data import FILE_NAME, bert_words, save_tiny_bert, write_tiny_dataset

MAX_LENGTH = 12
# A review as users write them: long, its verdict at the end; every word one of the tiny BERT's, each once.
WORDS = bert_words()
LONG_TEXT = "  " + " ".join(WORDS) + "  "


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def write_data_with_long_texts(folder: Path) -> list[str]:
    """The tiny data set, with long texts added to its training split."""
    args = write_tiny_dataset(folder)
    with (folder / FILE_NAME).open("a", newline="") as file:
        writer = csv.writer(file)
        writer.writerows([[LONG_TEXT, "astronomy", "train"], [" ".join(reversed(WORDS)), "cooking", "train"]])
    return args


def exported_ids(folder: Path, info: dict, text: str) -> list[int]:
    """The ids of `text` as a user of the export gets them, from tokenizer.json and model.json alone."""
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    truncation = info["truncation"]
    if truncation["keep"] != "head+tail":
        # encode_batch as the graph's input is made: padded to the longest of the batch.
        return tokenizer.encode_batch([text, "a"])[0].ids
    # model.json's steps: the text's own tokens, its head and tail when longer, then the special tokens.
    room = truncation["head_tokens"] + truncation["tail_tokens"]
    encoding = tokenizer.encode(text.strip(), add_special_tokens=False)
    if len(encoding.ids) > room:
        first, last = (Tokenizer.from_file(str(folder / "tokenizer.json")) for _ in range(2))
        first.enable_truncation(truncation["head_tokens"])
        last.enable_truncation(truncation["tail_tokens"], direction="left")
        encoding = Encoding.merge(
            [first.encode(text.strip(), add_special_tokens=False), last.encode(text.strip(), add_special_tokens=False)],
            growing_offsets=False,
        )
    return tokenizer.post_process(encoding).ids


@pytest.mark.parametrize("truncation", ["head", "tail", "head+tail"])
@pytest.mark.parametrize("tokenizer", ["learnt", "pretrained"])
def test_a_long_text_has_the_same_ids_in_training_predict_serve_and_export(
    tmp_path: Path, tiny_bert: Path, tokenizer: str, truncation: str
) -> None:
    args = write_data_with_long_texts(tmp_path / "data")
    args += ["--data.max_length", str(MAX_LENGTH), "--data.truncation", truncation]
    if tokenizer == "pretrained":
        args += ["--model.init_args.pretrained", str(tiny_bert)]
    cli = main(args, run=False)
    datamodule, model = cli.datamodule, cli.model
    assert model.truncation == truncation and model.max_length == MAX_LENGTH

    # Training: the data file's text, tokenized with the others (batch encoding, cache).
    position = datamodule.catalog.texts.index(LONG_TEXT)
    training = datamodule.split_dataset([position])[0][0].tolist()
    # predict: a file to predict, read by a data module that has the checkpoint's values.
    texts = tmp_path / "texts.jsonl"
    texts.write_text(json.dumps({"text": LONG_TEXT}) + "\n")
    predicting = TextClassificationDataModule(datamodule.split, predict_path=str(texts))
    predicting.use_fitted({name: getattr(datamodule, name) for name in ("tokenizer", "max_length", "truncation")})
    predicting.setup("predict")
    predicted = predicting.predict_dataset[0][0].tolist()
    # The Python API, and serve, which parses the request first.
    api = model.read_input(LONG_TEXT)["token_ids"].tolist()
    served = model.read_input(model.parse_request({"text": LONG_TEXT}))["token_ids"].tolist()
    # The export: tokenizer.json as `export` writes it, and what model.json says.
    info = model.export_info()
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "tokenizer.json").write_text(info["files"]["tokenizer.json"])
    exported = exported_ids(tmp_path / "export", json.loads(json.dumps(info)), LONG_TEXT)
    assert training == predicted == api == served == exported
    assert len(training) == MAX_LENGTH

    # The tokenizer's own truncation: the text's tokens cut, its special tokens kept.
    plain = Tokenizer.from_str(datamodule.tokenizer)
    plain.no_padding()
    whole = plain.encode(LONG_TEXT.strip(), add_special_tokens=False).ids
    specials = 2 if tokenizer == "pretrained" else 0
    room = MAX_LENGTH - specials
    head = room // 4
    kept = {"head": whole[:room], "tail": whole[-room:], "head+tail": whole[:head] + whole[-(room - head) :]}
    assert training[specials // 2 : len(training) - specials // 2] == kept[truncation]
    if tokenizer == "pretrained":
        assert [training[0], training[-1]] == [plain.token_to_id("[CLS]"), plain.token_to_id("[SEP]")]
        assert whole == [plain.token_to_id(word) for word in WORDS]  # every word is known: the check sees the order


def test_a_short_text_is_not_cut_whichever_tokens_are_kept(tiny_bert: Path, tmp_path: Path) -> None:
    args = [*write_data_with_long_texts(tmp_path / "data"), "--model.init_args.pretrained", str(tiny_bert)]
    ids = {}
    for truncation in ("head", "tail", "head+tail"):
        model = main([*args, "--data.truncation", truncation], run=False).model
        ids[truncation] = model.read_input("the moon rose")["token_ids"].tolist()
    assert ids["head"] == ids["tail"] == ids["head+tail"]
    assert len(ids["head"]) == 5  # [CLS] the moon rose [SEP]


def test_an_unknown_truncation_is_refused_with_the_choices(data_args: list[str]) -> None:
    with pytest.raises((ValueError, SystemExit)):
        main([*data_args, "--data.truncation", "middle"], run=False)
    with pytest.raises(ValueError, match=r"truncation='middle': choose one of head, tail, head\+tail"):
        TextClassificationDataModule(split=None, truncation="middle")
