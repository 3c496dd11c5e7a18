"""The LightningModule for text classification."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
from lightning.pytorch import Callback
from lightning.pytorch.cli import OptimizerCallable
from tokenizers import Tokenizer
from torch import nn

from ..data.tokens import TextEncoder, Truncation, exported_tokenizer, head_and_tail, pad, pad_id, special_token_count
from ..plots.class_figures import ClassFigures
from .classification import accuracy_and_f1, class_answers, class_outputs, weighted_cross_entropy
from .encoders import PretrainedEncoder, build_encoder, pretrained_encoder
from .finetuning import FreezeBackbone
from .supervised import Schedule, SupervisedModule


class TextClassifier(SupervisedModule):
    """Classify texts into `class_names` with a class-weighted cross-entropy loss.

    Texts become token ids with the model's own tokenizer (`read_input`); an encoder that ignores
    the padding gives one vector per text (token embeddings through a small encoder trained from
    scratch: by default a bag of tokens and token bigrams, or a pretrained Hugging Face model), then
    a linear layer one logit per class.

    Args:
        class_names: The classes, in the order of the outputs (linked from the data module).
        tokenizer: The tokenizer learnt from the training split, as its JSON (linked from the
            data module); the model derives the padding id from it.
        vocab_size: Size of the embedding table (linked from the data module).
        max_length: Texts are cut to this many tokens, special tokens included (linked from the data module).
        truncation: Which tokens of a longer text are kept: head, tail or head+tail (linked from the data module).
        class_weights: Loss weight of each class (linked from the data module).
        balance_classes: Weigh each class's loss with `class_weights`; false: every class weighs 1.
        encoder: `bag` (mean of the token and bigram embeddings), `cnn` (1D convolutions, max-pooled) or
            `transformer` (a small transformer encoder, mean-pooled); unused with `pretrained`.
        pretrained: A Hugging Face model to fine-tune instead (its last hidden states mean-pooled):
            a hub name (`bert-base-uncased`, downloaded once on a machine with a network) or a local
            folder saved with `save_pretrained`. The data module takes its tokenizer from the same
            place. A checkpoint holds the weights and the architecture: loading it fetches nothing.
        encoder_config: The pretrained model's architecture (its config), which checkpoints keep
            to build the model again; not set by hand.
        freeze_backbone_epochs: Epochs during which only the head trains, the pretrained encoder frozen.
        backbone_lr_ratio: With a pretrained encoder, its learning rate is the optimizer's times this.
        embed_dim: Size of the token embeddings.
        hidden_dim: Size of the encoder's output (the transformer's feed-forward size too).
        num_layers: Transformer layers (transformer only).
        num_heads: Attention heads (transformer only); must divide `embed_dim`.
        dropout: Dropout rate in the encoder and before the output layer.
        bigram_buckets: The bag's table of token bigrams, hashed into this many rows (fastText's
            word n-grams; bag only); 0: the bag of tokens alone.
        optimizer: Builds the optimizer from the model's parameters.
        scheduler: The learning-rate schedule: "cosine" over the run, a scheduler, or None.
    """

    input_names = ("token_ids",)

    def __init__(
        self,
        class_names: list[str],
        tokenizer: str,
        vocab_size: int,
        max_length: int,
        truncation: Truncation = "head",
        class_weights: list[float] | None = None,
        balance_classes: bool = True,
        encoder: Literal["bag", "cnn", "transformer"] = "bag",
        pretrained: str | None = None,
        encoder_config: dict[str, Any] | None = None,
        freeze_backbone_epochs: int = 0,
        backbone_lr_ratio: float = 0.1,
        embed_dim: int = 64,
        hidden_dim: int = 64,
        num_layers: int = 2,
        num_heads: int = 4,
        dropout: float = 0.1,
        bigram_buckets: int = 65536,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: Schedule = "cosine",
    ) -> None:
        loss = weighted_cross_entropy(class_weights if balance_classes else None)
        super().__init__(loss, accuracy_and_f1(len(class_names)), optimizer, scheduler)
        self.save_hyperparameters(logger=False)
        self.class_names = list(class_names)
        self.max_length = max_length
        self.truncation = truncation
        # The hyperparameter, which the checkpoint keeps, is the JSON; this is the tokenizer it describes.
        self.tokenizer = Tokenizer.from_str(tokenizer)
        # Texts to ids as in training: the tokenizer's truncation, set up once.
        self.text_encoder = TextEncoder(self.tokenizer, max_length, truncation)
        self.pad_id = pad_id(self.tokenizer)
        if pretrained or encoder_config:
            self.encoder = pretrained_encoder(pretrained, encoder_config)
        else:
            self.encoder = build_encoder(
                encoder,
                vocab_size,
                self.pad_id,
                embed_dim,
                hidden_dim,
                dropout,
                num_layers,
                num_heads,
                bigram_buckets,
            )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.encoder.out_features, len(class_names)))

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Logits, (batch, classes), of token ids padded with `pad_id`, (batch, length)."""
        return self.head(self.encoder(token_ids, token_ids != self.pad_id))

    def parameter_groups(self) -> list[dict[str, Any]]:
        ratio = self.hparams.backbone_lr_ratio if isinstance(self.encoder, PretrainedEncoder) else 1.0
        return [
            {"params": list(self.encoder.parameters()), "lr_scale": ratio},
            {"params": list(self.head.parameters())},
        ]

    def configure_callbacks(self) -> list[Callback]:
        epochs = self.hparams.freeze_backbone_epochs
        return [FreezeBackbone(epochs, lambda: [self.encoder])] if epochs else []

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """The checkpoint holds the weights and the pretrained architecture: building its model
        again fetches and reads no pretrained model."""
        if isinstance(self.encoder, PretrainedEncoder):
            checkpoint["hyper_parameters"]["pretrained"] = None
            checkpoint["hyper_parameters"]["encoder_config"] = self.encoder.model.config.to_dict()
            checkpoint["pretrained_from"] = self.hparams.pretrained

    def test_figures(self) -> ClassFigures:
        return ClassFigures(self.class_names)

    def infer(self, token_ids: torch.Tensor) -> torch.Tensor:
        return self(token_ids).softmax(dim=-1)

    def read_input(self, text: str) -> dict[str, torch.Tensor]:
        """A text to its token ids, at most `max_length`, cut as in training (`truncation`)."""
        return {"token_ids": self.text_encoder.token_ids(text)}

    def collate(self, samples: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return {"token_ids": pad([sample["token_ids"] for sample in samples], self.pad_id)}

    def parse_request(self, body: dict[str, Any]) -> str:
        """`{"text": "..."}` to the text."""
        if "text" not in body:
            raise ValueError('The request needs "text": the text to classify, as a string.')
        text = body["text"]
        if not isinstance(text, str):
            raise ValueError(f'"text" must be a string, not {type(text).__name__}.')
        return text

    def answers(self, predictions: torch.Tensor, batch: Any = None) -> list[dict[str, Any]]:
        return class_answers(predictions, self.class_names)

    def example_inputs(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        # A length unlike the batch size: the exporter would take two axes of one size for one axis.
        return (torch.randint(0, self.tokenizer.get_vocab_size(), (batch_size, batch_size + 5)),)

    def truncation_steps(self) -> list[str]:
        """How a text becomes at most `max_length` ids with the exported tokenizer.json, as `read_input` does."""
        if self.truncation != "head+tail":
            kept = "first" if self.truncation == "head" else "last"
            return [
                "tokenize each text with tokenizer.json (the Hugging Face `tokenizers` library: "
                "`Tokenizer.from_file('tokenizer.json')`), which keeps the special tokens it adds and the "
                f"{kept} tokens of a longer text, {self.max_length} in all (max_length; truncation {self.truncation})"
            ]
        room = self.max_length - special_token_count(self.tokenizer)
        head, tail = head_and_tail(room)
        parts = [f"`enable_truncation({tail}, direction='left')`"]
        if head:
            parts.insert(0, f"`enable_truncation({head})`")
        return [
            "tokenize each text, stripped of surrounding whitespace, with tokenizer.json (the Hugging Face "
            "`tokenizers` library: `tokenizer = Tokenizer.from_file('tokenizer.json')`) without special tokens: "
            "`tokenizer.encode(text, add_special_tokens=False)`",
            f"a text of more than {room} tokens keeps its first {head} and its last {tail} (truncation head+tail; "
            "tokenizer.json, which cannot express it, does not truncate): encode it so with copies of the tokenizer "
            f"set with {' and '.join(parts)}, and join the two (`Encoding.merge([first, last])`)",
            "add the special tokens: `tokenizer.post_process(encoding)`",
        ]

    def truncation_info(self) -> dict[str, Any]:
        """Which tokens of a longer text the model reads (`keep`), `max_length` in all, special tokens
        included; for head+tail, how many of the text's own tokens come from its head and from its tail."""
        info: dict[str, Any] = {"keep": self.truncation, "max_length": self.max_length}
        if self.truncation == "head+tail":
            head, tail = head_and_tail(self.max_length - special_token_count(self.tokenizer))
            info |= {"head_tokens": head, "tail_tokens": tail}
        return info

    def export_info(self) -> dict[str, Any]:
        return {
            "task": "text_classification",
            "classes": self.class_names,
            "truncation": self.truncation_info(),
            "inputs": [
                {
                    "name": "token_ids",
                    "dtype": "int64",
                    "shape": ["batch", "length"],
                    "before": [
                        *self.truncation_steps(),
                        f"pad the batch's texts at their end to the longest with the pad id {self.pad_id}, which the "
                        "graph ignores"
                        + ("" if self.truncation == "head+tail" else "; `tokenizer.encode_batch(texts)` does all this"),
                    ],
                }
            ],
            "outputs": class_outputs(self.class_names),
            "files": {"tokenizer.json": exported_tokenizer(self.tokenizer, self.max_length, self.truncation)},
        }
