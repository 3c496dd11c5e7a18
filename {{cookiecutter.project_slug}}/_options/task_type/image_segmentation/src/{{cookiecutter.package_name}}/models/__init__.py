"""Image segmentation models."""

from .segmenter import SegmentationModel

__all__ = ["SegmentationModel"]
