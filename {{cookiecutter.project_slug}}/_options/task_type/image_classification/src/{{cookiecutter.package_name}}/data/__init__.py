"""Image classification data: class folders of images, split by the configured strategy."""

from .task import ImageClassificationDataModule

# What the data module fits or sets that the model receives when both are instantiated, and that
# its checkpoint keeps: the classes in output order, their loss weights, the image size.
LINKED_TO_MODEL = ("class_names", "class_weights", "image_size")

# What the data module takes from the model's config as it is parsed (named once, in the model's
# options): the backbone and its pretrained weights, whose image size it uses unless given one.
LINKED_FROM_MODEL = ("backbone", "pretrained")

__all__ = ["LINKED_FROM_MODEL", "LINKED_TO_MODEL", "ImageClassificationDataModule"]
