"""Tabular classification data: a CSV file with a class column, split by the configured strategy."""

from .tabular import TabularClassificationDataModule

# Attributes of the data module that the model receives when both are instantiated.
LINKED_TO_MODEL = (
    "num_features",
    "num_classes",
    "class_weights",
    "category_cardinalities",
    "numeric_mean",
    "numeric_std",
)

__all__ = ["LINKED_TO_MODEL", "TabularClassificationDataModule"]
