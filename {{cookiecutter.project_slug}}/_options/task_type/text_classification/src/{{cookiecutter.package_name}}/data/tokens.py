"""The tokenizer, learnt from the training texts or a pretrained model's, and how any text becomes
the model's input.

`token_ids` (one text) and `tokenize` (many, with the tokenizer's parallel batch encoding) are the
one place where texts become token ids, and `pad` where they become batches, for training,
`predict`, the Python API and `serve`; the exported `tokenizer.json` does the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from torch.nn.utils.rnn import pad_sequence

PAD_TOKEN = "<pad>"
# The smallest vocabulary the byte-level tokenizer can have: 256 bytes and the pad token.
MIN_VOCAB_SIZE = 257
# Texts that `tokenize` encodes at once: their encodings (offsets, masks) take many times the memory of the ids.
TEXTS_PER_BATCH = 10_000


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


def token_ids(tokenizer: Tokenizer, text: str, max_length: int) -> torch.Tensor:
    """The ids of the first `max_length` tokens of `text`: int64, (length,)."""
    if not isinstance(text, str):
        raise ValueError(f"A text to classify must be a string, not {type(text).__name__}.")
    ids = tokenizer.encode(text).ids[:max_length]
    if not ids:
        raise ValueError("The text is empty (or only whitespace): there is nothing to classify.")
    return torch.tensor(ids, dtype=torch.long)


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


def tokenize(tokenizer: Tokenizer, texts: Sequence[str], max_length: int) -> TokenizedTexts:
    """The ids of the first `max_length` tokens of each text, as `token_ids` gives them one text at a time."""
    batch_tokenizer = Tokenizer.from_str(tokenizer.to_str())
    batch_tokenizer.no_padding()  # a pretrained tokenizer pads a batch to its longest text
    parts = []
    for start in range(0, len(texts), TEXTS_PER_BATCH):
        encodings = batch_tokenizer.encode_batch(list(texts[start : start + TEXTS_PER_BATCH]))
        lengths = np.array([min(len(encoding.ids), max_length) for encoding in encodings], dtype=np.int64)
        if not lengths.all():
            empty = texts[start + int(np.argmin(lengths))]
            raise ValueError(f"The text {empty!r} has no tokens: there is nothing to classify.")
        ids = (i for encoding in encodings for i in encoding.ids[:max_length])
        words = (-1 if word is None else word for encoding in encodings for word in encoding.word_ids[:max_length])
        parts.append((np.fromiter(ids, np.int32, lengths.sum()), np.fromiter(words, np.int32, lengths.sum()), lengths))
    ids, words, lengths = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return TokenizedTexts(ids=ids, offsets=np.concatenate([[0], np.cumsum(lengths)]), words=words)


def pad(sequences: Sequence[torch.Tensor], pad_id: int) -> torch.Tensor:
    """Token id sequences as one batch, padded at their end with `pad_id` to the longest: (batch, length)."""
    return pad_sequence(list(sequences), batch_first=True, padding_value=pad_id)


def exported_tokenizer(tokenizer: Tokenizer, max_length: int) -> str:
    """`tokenizer` as the JSON of `tokenizer.json`, set to truncate and pad as `token_ids` and `pad`
    do: its `encode_batch` gives the exported graph's input."""
    exported = Tokenizer.from_str(tokenizer.to_str())
    exported.enable_truncation(max_length)
    exported.enable_padding(pad_id=pad_id(tokenizer), pad_token=tokenizer.id_to_token(pad_id(tokenizer)))
    return exported.to_str(pretty=True)
