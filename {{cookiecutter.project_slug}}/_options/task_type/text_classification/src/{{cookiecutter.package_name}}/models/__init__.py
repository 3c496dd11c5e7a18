"""Text classification models."""

from .text import TextClassifier

__all__ = ["TextClassifier"]
