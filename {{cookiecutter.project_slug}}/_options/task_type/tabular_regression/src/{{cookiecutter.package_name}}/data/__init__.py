"""Tabular regression data: a CSV file with a numeric target column, split by the configured strategy."""

from .tabular import TabularRegressionDataModule

# Attributes of the data module that the model receives when both are instantiated.
LINKED_TO_MODEL = (
    "num_features",
    "num_targets",
    "feature_mean",
    "feature_std",
    "target_mean",
    "target_std",
    "category_sizes",
)

__all__ = ["LINKED_TO_MODEL", "TabularRegressionDataModule"]
