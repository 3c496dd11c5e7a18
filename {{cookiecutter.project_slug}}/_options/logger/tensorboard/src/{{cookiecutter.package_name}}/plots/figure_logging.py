"""Figures to TensorBoard: its Images tab shows them by name, at the step they were drawn."""

from __future__ import annotations

import struct
from pathlib import Path

from lightning.pytorch.loggers import TensorBoardLogger
from tensorboard.compat.proto.summary_pb2 import Summary

RGBA = 4


def log_figures(logger: TensorBoardLogger, pictures: dict[str, Path], step: int) -> None:
    """Each PNG of `pictures` (by name, e.g. `plots/confusion_matrix`) as an image summary: the file's
    own bytes (`add_image` would decode and encode each picture again)."""
    writer = logger.experiment._get_file_writer()
    for name, path in pictures.items():
        png = path.read_bytes()
        width, height = struct.unpack(">II", png[16:24])  # from the PNG's header chunk (IHDR)
        image = Summary.Image(height=height, width=width, colorspace=RGBA, encoded_image_string=png)
        writer.add_summary(Summary(value=[Summary.Value(tag=name, image=image)]), step)
    writer.flush()
