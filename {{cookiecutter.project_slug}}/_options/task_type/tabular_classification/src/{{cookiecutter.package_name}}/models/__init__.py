"""Tabular classification models."""

from .task import TabularClassifier

__all__ = ["TabularClassifier"]
