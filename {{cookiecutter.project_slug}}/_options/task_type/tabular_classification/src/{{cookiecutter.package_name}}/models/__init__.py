"""Tabular classification models."""

from .tabular import TabularClassifier

__all__ = ["TabularClassifier"]
