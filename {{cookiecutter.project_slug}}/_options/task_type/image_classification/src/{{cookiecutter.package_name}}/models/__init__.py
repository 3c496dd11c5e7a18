"""Image classification models."""

from .task import ImageClassifier

__all__ = ["ImageClassifier"]
