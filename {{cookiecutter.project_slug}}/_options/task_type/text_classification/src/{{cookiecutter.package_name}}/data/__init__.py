"""Text classification data: a CSV or JSON Lines file of texts and labels, split by the configured strategy."""

from .text import TextClassificationDataModule

# What the data module fits or sets that the model receives when both are instantiated, and that
# its checkpoint keeps: the tokenizer learnt from the training split (as JSON), the size of the
# embedding table, the longest text in tokens, the classes in output order and their loss weights.
LINKED_TO_MODEL = ("tokenizer", "vocab_size", "max_length", "class_names", "class_weights")

__all__ = ["LINKED_TO_MODEL", "TextClassificationDataModule"]
