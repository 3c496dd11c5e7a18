"""Text classification data: a CSV, TSV or JSON Lines file of texts and labels, split by the configured strategy."""

from .task import TextClassificationDataModule

# What the data module fits or sets that the model receives when both are instantiated, and that
# its checkpoint keeps: the tokenizer learnt from the training split (as JSON), the size of the
# embedding table, the longest text in tokens and which tokens of a longer text are kept, the
# classes in output order and their loss weights.
LINKED_TO_MODEL = ("tokenizer", "vocab_size", "max_length", "truncation", "class_names", "class_weights")

# What the data module takes from the model's config as it is parsed (named once, in the model's
# options): the pretrained model whose tokenizer it uses.
LINKED_FROM_MODEL = ("pretrained",)

__all__ = ["LINKED_FROM_MODEL", "LINKED_TO_MODEL", "TextClassificationDataModule"]
