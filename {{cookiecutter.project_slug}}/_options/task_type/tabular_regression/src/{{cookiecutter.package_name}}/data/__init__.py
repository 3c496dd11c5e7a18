"""Tabular regression data: a CSV file with a numeric target column, split by the configured strategy."""

from .tabular import FEATURE_ENCODING
from .task import TabularRegressionDataModule

# What the data module fits on the training rows that the model receives when both are instantiated,
# and that its checkpoint keeps: how a row becomes its inputs, and the target's scale.
LINKED_TO_MODEL = (*FEATURE_ENCODING, "target_mean", "target_std")

# What the data module takes from the model's config as it is parsed: nothing for this task.
LINKED_FROM_MODEL: tuple[str, ...] = ()

__all__ = ["LINKED_FROM_MODEL", "LINKED_TO_MODEL", "TabularRegressionDataModule"]
