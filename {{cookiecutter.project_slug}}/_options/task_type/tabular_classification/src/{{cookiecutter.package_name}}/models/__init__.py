"""Tabular classification models."""

from .classifier import TabularClassifier

__all__ = ["TabularClassifier"]
