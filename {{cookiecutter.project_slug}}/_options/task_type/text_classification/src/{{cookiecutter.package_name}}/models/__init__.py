"""Text classification models."""

from .task import TextClassifier

__all__ = ["TextClassifier"]
