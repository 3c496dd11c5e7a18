"""The tokenizer, learnt from the training texts or a pretrained model's, and how any text becomes
the model's input.

`TextEncoder` is the one place where texts become token ids, cut to `max_length` by the
tokenizer's own truncation (special tokens kept), for training (`tokenize`: many texts, with the
tokenizer's parallel batch encoding), `predict`, the Python API and `serve` (`token_ids`: one
text); `pad` is where they become batches; the exported `tokenizer.json` does the same
(`exported_tokenizer`; with the steps of `model.json` for head+tail).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, NamedTuple, get_args

import numpy as np
import torch
from tokenizers import Encoding, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from torch.nn.utils.rnn import pad_sequence

PAD_TOKEN = "<pad>"
# The smallest vocabulary the byte-level tokenizer can have: 256 bytes and the pad token.
MIN_VOCAB_SIZE = 257
# Texts that `tokenize` encodes at once: their encodings (offsets, masks) take many times the memory of the ids.
TEXTS_PER_BATCH = 10_000

# Which tokens a text longer than `max_length` keeps: its first (head), its last (tail), or its first
# quarter and last three quarters (head+tail: the end of a review often carries its verdict).
Truncation = Literal["head", "tail", "head+tail"]
TRUNCATIONS: tuple[str, ...] = get_args(Truncation)
HEAD_SHARE = 0.25  # of the tokens head+tail keeps, those of the head (Sun et al. 2019 kept 128 of 510)


def train_tokenizer(texts: Sequence[str], vocab_size: int, min_frequency: int) -> Tokenizer:
    """A byte-level BPE tokenizer (GPT-2 style) learnt from `texts`, at most `vocab_size` tokens.

    Texts are NFKC-normalised, lowercased and stripped. Byte-level: every text is encoded
    (no unknown token), and decoding gives the normalised text back. `<pad>` is token 0.
    """
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(), normalizers.Strip()])
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    # Decode bytes, join the tokens, drop the space that encoding put before the first word.
    tokenizer.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=[PAD_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer, length=len(texts))
    return tokenizer


def pretrained_tokenizer(pretrained: str) -> Tokenizer:
    """The tokenizer of a Hugging Face model (a hub name, or a folder saved with `save_pretrained`),
    padding with its own pad token."""
    from transformers import AutoTokenizer  # seconds to import: only for a pretrained model

    try:
        loaded = AutoTokenizer.from_pretrained(pretrained)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"pretrained={pretrained!r}: no tokenizer could be loaded from it ({error}). pretrained takes a Hugging "
            "Face model name (downloaded once on a machine with a network) or a local folder saved with "
            "save_pretrained (model and tokenizer)."
        ) from error
    if not loaded.is_fast or loaded.pad_token is None:
        raise ValueError(
            f"pretrained={pretrained!r}: its tokenizer needs a fast (tokenizer.json) version and a pad token."
        )
    tokenizer = Tokenizer.from_str(loaded.backend_tokenizer.to_str())
    tokenizer.no_truncation()
    tokenizer.enable_padding(pad_id=loaded.pad_token_id, pad_token=loaded.pad_token)
    return tokenizer


def pad_id(tokenizer: Tokenizer) -> int:
    """The id that pads batches: the model ignores it."""
    return tokenizer.padding["pad_id"] if tokenizer.padding else tokenizer.token_to_id(PAD_TOKEN)


def special_token_count(tokenizer: Tokenizer) -> int:
    """The special tokens that the tokenizer adds to one text ([CLS] and [SEP] for BERT; none for the learnt one)."""
    return tokenizer.num_special_tokens_to_add(False)


def head_and_tail(room: int) -> tuple[int, int]:
    """The tokens of a text's head and of its tail that head+tail keeps, `room` in all."""
    head = int(room * HEAD_SHARE)
    return head, room - head


def truncating(tokenizer: Tokenizer, max_length: int | None, direction: str = "right") -> Tokenizer:
    """A copy of `tokenizer` that does not pad and keeps at most `max_length` tokens of a text (special
    tokens included, when it adds them): its first (`direction` right) or its last (left); None: all."""
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_padding()  # a pretrained tokenizer pads a batch to its longest text
    copy.no_truncation()
    if max_length is not None:
        copy.enable_truncation(max_length, direction=direction)
    return copy


class TextEncoder:
    """Texts to at most `max_length` token ids, special tokens included, with the tokenizer's own
    truncation: `head` keeps a longer text's first tokens (direction right), `tail` its last (left),
    the special tokens kept either way; `head+tail`, which a tokenizer cannot express, encodes a
    longer text's head (`head_and_tail`) and its tail apart, each cut by the tokenizer, joins them
    and adds the special tokens as the tokenizer does. Texts are stripped of surrounding whitespace
    first. Built once (it copies the tokenizer), it encodes texts in parallel (`encode_batch`)."""

    def __init__(self, tokenizer: Tokenizer, max_length: int, truncation: Truncation = "head") -> None:
        if truncation not in TRUNCATIONS:
            raise ValueError(f"truncation={truncation!r}: choose one of {', '.join(TRUNCATIONS)}.")
        specials = special_token_count(tokenizer)
        if max_length <= specials:
            raise ValueError(
                f"max_length={max_length} leaves no room for a text: the tokenizer adds {specials} special "
                "tokens to each."
            )
        self.truncation = truncation
        self.room = max_length - specials  # the text's own tokens
        if truncation == "head+tail":
            head, tail = head_and_tail(self.room)
            self.whole = truncating(tokenizer, None)
            self.heads = truncating(tokenizer, head) if head else None
            self.tails = truncating(tokenizer, tail, "left")
        else:
            self.whole = truncating(tokenizer, max_length, "right" if truncation == "head" else "left")

    def encode(self, texts: Sequence[str]) -> list[Encoding]:
        texts = [text.strip() for text in texts]
        if self.truncation != "head+tail":
            return self.whole.encode_batch(texts)
        encodings = self.whole.encode_batch(texts, add_special_tokens=False)
        long = [position for position, encoding in enumerate(encodings) if len(encoding.ids) > self.room]
        if long:
            long_texts = [texts[position] for position in long]
            ends = self.tails.encode_batch(long_texts, add_special_tokens=False)
            if self.heads is not None:
                starts = self.heads.encode_batch(long_texts, add_special_tokens=False)
                ends = [Encoding.merge(pair, growing_offsets=False) for pair in zip(starts, ends, strict=True)]
            for position, encoding in zip(long, ends, strict=True):
                encodings[position] = encoding
        return [self.whole.post_process(encoding) for encoding in encodings]

    def token_ids(self, text: str) -> torch.Tensor:
        """The ids of one text: int64, (length,)."""
        if not isinstance(text, str):
            raise ValueError(f"A text to classify must be a string, not {type(text).__name__}.")
        if not text.strip():
            raise ValueError("The text is empty (or only whitespace): there is nothing to classify.")
        (encoding,) = self.encode([text])
        return torch.tensor(encoding.ids, dtype=torch.long)


def token_ids(tokenizer: Tokenizer, text: str, max_length: int, truncation: Truncation = "head") -> torch.Tensor:
    """The ids of one text, as `TextEncoder` gives them: int64, (length,)."""
    return TextEncoder(tokenizer, max_length, truncation).token_ids(text)


class TokenizedTexts(NamedTuple):
    """Texts as token ids, one after the other: text i is `ids[offsets[i]:offsets[i + 1]]`. Each
    token's word (`words`, numbered from 0 in each text; -1: a special token, of no word) is a word
    as the tokenizer's pre-tokenizer splits the text (the learnt byte-level one: a run of letters or
    digits with the space before it, or of punctuation)."""

    ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, one more than the texts
    words: np.ndarray  # int32, one per token

    def save(self, folder: Path) -> None:
        for name, values in self._asdict().items():
            np.save(folder / f"{name}.npy", values)

    @classmethod
    def load(cls, folder: Path) -> TokenizedTexts:
        """The arrays that `save` wrote to `folder`, memory-mapped: read from disk when used, shared by
        processes. Plain arrays over the mapped memory: numpy's memmap class slows every indexing down."""
        return cls(*(np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray) for name in cls._fields))


def tokenize(
    tokenizer: Tokenizer, texts: Sequence[str], max_length: int, truncation: Truncation = "head"
) -> TokenizedTexts:
    """The ids of each text, as `TextEncoder.token_ids` gives them one text at a time."""
    encoder = TextEncoder(tokenizer, max_length, truncation)
    parts = []
    for start in range(0, len(texts), TEXTS_PER_BATCH):
        batch = list(texts[start : start + TEXTS_PER_BATCH])
        empty = next((text for text in batch if not text.strip()), None)
        if empty is not None:
            raise ValueError(f"The text {empty!r} has no tokens: there is nothing to classify.")
        encodings = encoder.encode(batch)
        lengths = np.array([len(encoding.ids) for encoding in encodings], dtype=np.int64)
        ids = (i for encoding in encodings for i in encoding.ids)
        words = (-1 if word is None else word for encoding in encodings for word in encoding.word_ids)
        parts.append((np.fromiter(ids, np.int32, lengths.sum()), np.fromiter(words, np.int32, lengths.sum()), lengths))
    ids, words, lengths = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return TokenizedTexts(ids=ids, offsets=np.concatenate([[0], np.cumsum(lengths)]), words=words)


def pad(sequences: Sequence[torch.Tensor], pad_id: int) -> torch.Tensor:
    """Token id sequences as one batch, padded at their end with `pad_id` to the longest: (batch, length)."""
    return pad_sequence(list(sequences), batch_first=True, padding_value=pad_id)


def exported_tokenizer(tokenizer: Tokenizer, max_length: int, truncation: Truncation = "head") -> str:
    """`tokenizer` as the JSON of `tokenizer.json`, set to pad a batch as `pad` does and, for head or
    tail, to truncate as `encode` does: its `encode_batch` gives the exported graph's input. head+tail
    is no truncation a `tokenizer.json` can hold: it is left without, and `model.json` says what to do."""
    exported = Tokenizer.from_str(tokenizer.to_str())
    exported.no_truncation()
    if truncation != "head+tail":
        exported.enable_truncation(max_length, direction="right" if truncation == "head" else "left")
    exported.enable_padding(pad_id=pad_id(tokenizer), pad_token=tokenizer.id_to_token(pad_id(tokenizer)))
    return exported.to_str(pretty=True)
