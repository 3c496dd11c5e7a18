"""Image segmentation data: images with masks of class indices, split by the configured strategy."""

from .segmentation import ImageSegmentationDataModule

# Attributes of the data module that the model receives when both are instantiated.
LINKED_TO_MODEL = ("num_classes", "class_weights", "ignore_index")

__all__ = ["LINKED_TO_MODEL", "ImageSegmentationDataModule"]
