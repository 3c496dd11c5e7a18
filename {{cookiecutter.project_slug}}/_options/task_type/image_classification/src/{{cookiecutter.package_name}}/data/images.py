"""Data module for image classification over a folder of class folders."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import Dataset
from torchvision.transforms import v2

from .datamodule import SplitDataModule
from .digits import write_digits
from .splitting import Split, SplitIndices

IMAGE_SUFFIXES = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
BUNDLED_DIR = Path("data") / "digits"
NORMALIZE = v2.Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])


class Catalog(NamedTuple):
    """Every image of the data folder, with its class taken from its parent folder."""

    sample_ids: list[str]
    labels: list[int]
    class_names: list[str]


class ImageFiles(Dataset):
    """Images read from `files`, each with its class index, through `transform`."""

    def __init__(self, files: list[Path], labels: list[int], transform: Callable) -> None:
        self.files = files
        self.labels = labels
        self.transform = transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path = self.files[index]
        try:
            with Image.open(path) as image:
                pixels = image.convert("RGB")
        except (OSError, UnidentifiedImageError) as error:
            raise RuntimeError(f"Cannot read image {path}: {error}") from error
        return self.transform(pixels), self.labels[index]


def is_readable_image(path: Path) -> bool:
    """Whether PIL can identify `path` and its data pass the format's integrity check.

    Cheap (no full decode): it catches files that are not images and most corruption
    before training starts; a file that still fails to decode is named when it is read.
    """
    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, SyntaxError, UnidentifiedImageError):
        return False
    return True


def list_images(root: Path) -> Catalog:
    """List the images under `root`; each one's class is the name of its parent folder."""
    if not root.is_dir():
        raise FileNotFoundError(f"data_dir {root} does not exist or is not a folder.")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ValueError(f"data_dir {root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    unreadable = [path for path in files if not is_readable_image(path)]
    if unreadable:
        listed = "\n  ".join(str(path) for path in unreadable[:10])
        more = f"\n  ... and {len(unreadable) - 10} more" if len(unreadable) > 10 else ""
        raise ValueError(
            f"data_dir {root} holds {len(unreadable)} file(s) that are not readable images; "
            f"fix or remove them:\n  {listed}{more}"
        )
    class_names = sorted({path.parent.name for path in files})
    if len(class_names) < 2:
        raise ValueError(
            f"data_dir {root} has one class only ({class_names[0]}): put each class's images in a folder of its own."
        )
    class_index = {name: index for index, name in enumerate(class_names)}
    return Catalog(
        sample_ids=[path.relative_to(root).as_posix() for path in files],
        labels=[class_index[path.parent.name] for path in files],
        class_names=class_names,
    )


class ImageClassificationDataModule(SplitDataModule):
    """Images in class folders (`<data_dir>/<class>/<image>`), split by `split`.

    Args:
        split: How samples are assigned to train, val and test.
        data_dir: The image folder. None: the bundled digits, written to
            `data/digits` in the working folder on first use.
        image_size: Images are resized to `image_size` x `image_size`.
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches (0: load in the main process).
        predict_dir: Images to predict (any layout). None: the test split.
    """

    def __init__(
        self,
        split: Split,
        data_dir: str | None = None,
        image_size: int = 32,
        batch_size: int = 64,
        num_workers: int = 2,
        predict_dir: str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        self.save_hyperparameters(ignore=["split"])
        self.data_dir = Path(data_dir) if data_dir else BUNDLED_DIR
        self.uses_bundled_data = data_dir is None
        self.image_size = image_size
        self.predict_dir = Path(predict_dir) if predict_dir else None

    def prepare_data(self) -> None:
        """Write the bundled digits if they are the data and not on disk yet."""
        if self.uses_bundled_data:
            write_digits(self.data_dir)

    @cached_property
    def catalog(self) -> Catalog:
        self.prepare_data()
        return list_images(self.data_dir)

    @property
    def sample_ids(self) -> list[str]:
        return self.catalog.sample_ids

    @cached_property
    def split_indices(self) -> SplitIndices:
        return self.split.assign(self.catalog.sample_ids, self.catalog.labels)

    @property
    def class_names(self) -> list[str]:
        return self.catalog.class_names

    @property
    def num_classes(self) -> int:
        """Number of classes: the model's output size."""
        return len(self.catalog.class_names)

    @property
    def class_weights(self) -> list[float]:
        """Per-class loss weights, inversely proportional to class frequency in the training split."""
        train_labels = [self.catalog.labels[i] for i in self.split_indices.train]
        missing = sorted(set(range(self.num_classes)) - set(train_labels))
        if missing:
            names = ", ".join(self.class_names[i] for i in missing)
            raise ValueError(
                f"The training split of {self.data_dir} has no images of class {names}: add more or change the split."
            )
        weights = compute_class_weight("balanced", classes=np.arange(self.num_classes), y=train_labels)
        return [float(weight) for weight in weights]

    def train_transform(self) -> v2.Compose:
        """Augmentation for training only."""
        return v2.Compose(
            [
                v2.ToImage(),
                v2.Resize((self.image_size, self.image_size), antialias=True),
                v2.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1)),
                v2.ToDtype(torch.float32, scale=True),
                NORMALIZE,
            ]
        )

    def eval_transform(self) -> v2.Compose:
        """Deterministic transform for validation, test and prediction."""
        return v2.Compose(
            [
                v2.ToImage(),
                v2.Resize((self.image_size, self.image_size), antialias=True),
                v2.ToDtype(torch.float32, scale=True),
                NORMALIZE,
            ]
        )

    def _split_dataset(self, positions: list[int], transform: Callable) -> ImageFiles:
        catalog = self.catalog
        files = [self.data_dir / catalog.sample_ids[i] for i in positions]
        return ImageFiles(files, [catalog.labels[i] for i in positions], transform)

    def setup(self, stage: str) -> None:
        split = self.split_indices
        if stage == "fit":
            self.train_dataset = self._split_dataset(split.train, self.train_transform())
        if stage in ("fit", "validate"):
            self.val_dataset = self._split_dataset(split.val, self.eval_transform())
        if stage == "test":
            self.test_dataset = self._split_dataset(split.test, self.eval_transform())
        if stage == "predict":
            if self.predict_dir is None:
                self.predict_dataset = self._split_dataset(split.test, self.eval_transform())
            else:
                files = sorted(p for p in self.predict_dir.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
                if not files:
                    raise ValueError(f"predict_dir {self.predict_dir} holds no images.")
                # Unlabelled: -1 stands for "no class".
                self.predict_dataset = ImageFiles(files, [-1] * len(files), self.eval_transform())
