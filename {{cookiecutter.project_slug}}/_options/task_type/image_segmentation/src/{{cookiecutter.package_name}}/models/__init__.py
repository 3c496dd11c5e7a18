"""Image segmentation models."""

from .task import SegmentationModel

__all__ = ["SegmentationModel"]
