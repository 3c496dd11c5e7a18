"""Tabular classification data: a CSV file with a class column, split by the configured strategy."""

from .tabular import FEATURE_ENCODING
from .task import TabularClassificationDataModule

# What the data module fits on the training rows that the model receives when both are instantiated,
# and that its checkpoint keeps: how a row becomes its inputs, the classes in output order, their loss weights.
LINKED_TO_MODEL = (*FEATURE_ENCODING, "class_names", "class_weights")

# What the data module takes from the model's config as it is parsed: nothing for this task.
LINKED_FROM_MODEL: tuple[str, ...] = ()

__all__ = ["LINKED_FROM_MODEL", "LINKED_TO_MODEL", "TabularClassificationDataModule"]
