"""Image segmentation data: images with masks of class indices, split by the configured strategy."""

from .task import ImageSegmentationDataModule

# What the data module fits or sets that the model receives when both are instantiated, and that
# its checkpoint keeps: the classes in output order, their loss weights, the mask value of
# unlabelled pixels, the image size, the colours of the classes in the masks (for the masks it writes).
LINKED_TO_MODEL = ("class_names", "class_weights", "ignore_index", "image_size", "mask_palette")

# What the data module takes from the model's config as it is parsed: whether the model weighs
# classes (no class weights are computed when it does not).
LINKED_FROM_MODEL = ("balance_classes",)

__all__ = ["LINKED_FROM_MODEL", "LINKED_TO_MODEL", "ImageSegmentationDataModule"]
