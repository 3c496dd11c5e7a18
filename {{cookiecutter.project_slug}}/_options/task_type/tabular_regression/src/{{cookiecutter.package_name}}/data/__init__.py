"""Tabular regression data: a CSV file with a numeric target column, split by the configured strategy."""

from .regression import TabularRegressionDataModule
from .tabular import FEATURE_ENCODING

# What the data module fits on the training rows that the model receives when both are instantiated,
# and that its checkpoint keeps: how a row becomes its inputs, and the target's scale.
LINKED_TO_MODEL = (*FEATURE_ENCODING, "target_mean", "target_std")

__all__ = ["LINKED_TO_MODEL", "TabularRegressionDataModule"]
