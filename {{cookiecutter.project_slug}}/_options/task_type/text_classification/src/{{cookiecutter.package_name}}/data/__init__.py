"""Text classification data: a CSV or JSON Lines file of texts and labels, split by the configured strategy."""

from .text import TextClassificationDataModule

# Attributes of the data module that the model receives when both are instantiated.
LINKED_TO_MODEL = ("vocab_size", "num_classes", "class_weights", "pad_id")

__all__ = ["LINKED_TO_MODEL", "TextClassificationDataModule"]
