"""Image classification data: class folders of images, split by the configured strategy."""

from .images import ImageClassificationDataModule

# Attributes of the data module that the model receives when both are instantiated.
LINKED_TO_MODEL = ("num_classes", "class_weights")

__all__ = ["LINKED_TO_MODEL", "ImageClassificationDataModule"]
