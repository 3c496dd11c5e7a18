"""Data module for semantic segmentation: images paired by file name with masks of class indices."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from kornia import augmentation
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset
from torchvision.transforms import v2

from .cache import MappedRows, Pairs, cached_array, data_name, fingerprint, read_image
from .datamodule import SplitDataModule
from .shapes import write_shapes
from .splitting import Split, SplitIndices

IMAGE_SUFFIXES = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
MASK_SUFFIX = ".png"
MASK_MODES = frozenset({"1", "L", "P", "I", "I;16"})
BUNDLED_DIR = Path("data") / "shapes"
NORMALIZE = v2.Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])
SHOWN = 5  # culprits named in one error message


def named(culprits: list) -> str:
    """The first few of `culprits` (files, classes), and how many there are in all."""
    shown = ", ".join(str(culprit) for culprit in culprits[:SHOWN])
    return shown if len(culprits) <= SHOWN else f"{shown}, ... ({len(culprits)} in all)"


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def read_size(path: Path) -> tuple[int, int]:
    """(width, height), read from the file's header."""
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError) as error:
        raise RuntimeError(f"Cannot read image {path}: {error}") from error


def read_mask(path: Path) -> np.ndarray:
    """A mask's class indices (height x width, int64): a single-channel image, palette PNGs included."""
    try:
        with Image.open(path) as mask:
            if mask.mode not in MASK_MODES:
                raise ValueError(
                    f"Mask {path} has mode {mask.mode}: a mask holds one class index per pixel "
                    "(a single-channel or palette PNG), not colours."
                )
            values = np.asarray(mask).astype(np.int64)
    except (OSError, UnidentifiedImageError) as error:
        raise RuntimeError(f"Cannot read mask {path}: {error}") from error
    if values.size and values.min() < 0:
        raise ValueError(f"Mask {path} holds the negative value {values.min()}: class indices start at 0.")
    return values


def read_resized_mask(path: Path, size: int) -> torch.Tensor:
    """A mask's class indices resized to `size` x `size` (nearest: no blended classes), int32."""
    resized = Image.fromarray(read_mask(path).astype(np.int32)).resize((size, size), Image.Resampling.NEAREST)
    return torch.from_numpy(np.asarray(resized, dtype=np.int32).copy())


class Pair(NamedTuple):
    sample_id: str
    image: Path
    mask: Path


def pair_by_name(images_dir: Path, masks_dir: Path, prefix: str = "") -> list[Pair]:
    """Pair `images_dir/<name>.<any image suffix>` with `masks_dir/<name>.png`."""
    images: dict[str, Path] = {}
    for path in image_files(images_dir):
        name = path.relative_to(images_dir).with_suffix("").as_posix()
        if name in images:
            raise ValueError(f"Images {images[name]} and {path} have the same name: a mask pairs with one image.")
        images[name] = path
    masks = {
        path.relative_to(masks_dir).with_suffix("").as_posix(): path
        for path in sorted(masks_dir.rglob("*"))
        if path.suffix.lower() == MASK_SUFFIX and path.is_file()
    }
    unmasked = sorted(images.keys() - masks.keys())
    if unmasked:
        raise ValueError(
            f"Image without a mask: {named([images[name] for name in unmasked])}. Every image needs a mask "
            f"of the same name in {masks_dir} (e.g. {masks_dir / unmasked[0]}{MASK_SUFFIX})."
        )
    orphans = sorted(masks.keys() - images.keys())
    if orphans:
        raise ValueError(
            f"Mask without an image: {named([masks[name] for name in orphans])}. Every mask needs an image "
            f"of the same name in {images_dir}."
        )
    return [Pair(f"{prefix}{name}", images[name], masks[name]) for name in sorted(images)]


def find_pairs(root: Path) -> list[Pair]:
    """Pairs under `root/{images,masks}/`, or under `root/<split>/{images,masks}/` for each split folder,
    whose sample ids start with the split's name (`train/<name>`)."""
    if not root.is_dir():
        raise FileNotFoundError(f"data_dir {root} does not exist or is not a folder.")
    if (root / "images").is_dir():
        groups = [(root, "")]
    else:
        groups = [(folder, f"{folder.name}/") for folder in sorted(root.iterdir()) if (folder / "images").is_dir()]
    if not groups:
        raise ValueError(
            f"data_dir {root} has no images/ folder: put images in {root / 'images'} and their masks in "
            f"{root / 'masks'}, or in train/, val/ and test/ folders that each hold images/ and masks/."
        )
    pairs = []
    for folder, prefix in groups:
        if not (folder / "masks").is_dir():
            raise ValueError(f"{folder / 'images'} has no masks/ folder beside it: expected {folder / 'masks'}.")
        pairs += pair_by_name(folder / "images", folder / "masks", prefix)
    if not pairs:
        raise ValueError(f"data_dir {root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    return pairs


class Catalog(NamedTuple):
    """Every image of the data folder with its mask and what the mask holds."""

    sample_ids: list[str]
    images: list[Path]
    masks: list[Path]
    pixel_counts: np.ndarray  # (samples, classes): labelled pixels of each class in each mask
    labels: list[int]  # each image's dominant class other than background (0 if none)
    num_classes: int


def list_samples(root: Path, num_classes: int | None = None, ignore_index: int = 255) -> Catalog:
    """Pair images with masks and read every mask, checking sizes and class indices.

    `num_classes` None: the largest class index found in the masks, plus one.
    """
    pairs = find_pairs(root)
    counts = []
    for pair in pairs:
        values = read_mask(pair.mask)
        width, height = read_size(pair.image)
        if values.shape != (height, width):
            raise ValueError(
                f"Mask {pair.mask} is {values.shape[1]}x{values.shape[0]} pixels but its image {pair.image} "
                f"is {width}x{height}: a mask must be the size of its image."
            )
        sample_counts = np.bincount(values.ravel())
        if 0 <= ignore_index < len(sample_counts):
            sample_counts[ignore_index] = 0
        sample_counts = np.trim_zeros(sample_counts, "b")
        if num_classes is not None and sample_counts[num_classes:].any():
            value = num_classes + int(np.flatnonzero(sample_counts[num_classes:])[0])
            raise ValueError(
                f"Mask {pair.mask} holds the value {value}, outside the classes 0..{num_classes - 1} "
                f"(num_classes={num_classes}) and not the ignore index {ignore_index}."
            )
        counts.append(sample_counts)
    num_classes = num_classes or max(2, *(len(sample_counts) for sample_counts in counts))
    pixel_counts = np.zeros((len(pairs), num_classes), dtype=np.int64)
    for row, sample_counts in zip(pixel_counts, counts, strict=True):
        row[: len(sample_counts)] = sample_counts[:num_classes]
    labels = [int(row[1:].argmax()) + 1 if row[1:].any() else 0 for row in pixel_counts]
    return Catalog(
        sample_ids=[pair.sample_id for pair in pairs],
        images=[pair.image for pair in pairs],
        masks=[pair.mask for pair in pairs],
        pixel_counts=pixel_counts,
        labels=labels,
        num_classes=num_classes,
    )


class SegmentationFiles(Dataset):
    """Images and their masks, decoded from the files whenever they are read and resized to
    `size` x `size`: uint8 (3, size, size) and int32 (size, size). Without masks (unlabelled
    images), masks of `ignore_index` only."""

    def __init__(self, images: list[Path], masks: list[Path] | None, size: int, ignore_index: int) -> None:
        self.images = images
        self.masks = masks
        self.size = size
        self.ignore_index = ignore_index

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = read_image(self.images[index], self.size)
        if self.masks is None:
            return image, torch.full((self.size, self.size), self.ignore_index, dtype=torch.int32)
        return image, read_resized_mask(self.masks[index], self.size)


class ImageSegmentationDataModule(SplitDataModule):
    """Images and their masks of class indices, paired by file name, split by `split`.

    Loaders yield uint8 images and int32 masks; `on_after_batch_transfer` normalizes the
    images, and flips training images with their masks, on the device that trains.

    Args:
        split: How samples are assigned to train, val and test.
        data_dir: Holds `images/` and `masks/` (or `train/`, `val/`, `test/` folders that each
            hold them). None: the bundled shapes, written to `data/shapes` in the working
            folder on first use.
        num_classes: Number of classes; a mask value from `num_classes` up that is not
            `ignore_index` is an error. None: the largest class index in the masks, plus one.
        ignore_index: Mask value of unlabelled pixels: no loss, no metric.
        image_size: Images and masks are resized to `image_size` x `image_size`.
        vertical_flip: Augment with vertical flips too (horizontal flips always); turn off
            where up and down differ, as in street scenes.
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches on each device (0: load in the main
            process; None: from the CPU cores this process may use).
        cache_dir: Where the images and masks, decoded once, are kept as memory-mapped
            arrays (rebuilt when a file changes). None: decode every file at every epoch,
            for data sets too large to copy.
        predict_dir: Images to predict (any layout, no masks). None: the test split.
    """

    def __init__(
        self,
        split: Split,
        data_dir: str | None = None,
        num_classes: int | None = None,
        ignore_index: int = 255,
        image_size: int = 64,
        vertical_flip: bool = True,
        batch_size: int = 32,
        num_workers: int | None = None,
        cache_dir: str | None = "data/cache",
        predict_dir: str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        # num_classes is logged by the model, as found in the data; here it may be None.
        self.save_hyperparameters(ignore=["split", "num_classes"])
        if num_classes is not None and num_classes < 2:
            raise ValueError(f"num_classes={num_classes}: segmentation needs at least 2 classes (with background).")
        self.data_dir = Path(data_dir) if data_dir else BUNDLED_DIR
        self.uses_bundled_data = data_dir is None
        self.declared_num_classes = num_classes
        self.ignore_index = ignore_index
        self.image_size = image_size
        self.vertical_flip = vertical_flip
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.predict_dir = Path(predict_dir) if predict_dir else None
        # Per-sample random flips of whole batches on their device, the same for an image and its mask.
        flips = [augmentation.RandomHorizontalFlip()]
        if vertical_flip:
            flips.append(augmentation.RandomVerticalFlip())
        self.train_augmentation = augmentation.AugmentationSequential(*flips, data_keys=["input", "mask"])

    def prepare_data(self) -> None:
        """Write the bundled shapes if they are the data and not on disk yet; decode the images
        and masks into the cache if it is out of date. Runs once per machine."""
        if self.uses_bundled_data:
            write_shapes(self.data_dir)
        if self.cache_dir is not None:
            self.decoded_arrays()

    @cached_property
    def catalog(self) -> Catalog:
        # The linked values need the catalog before the trainer calls prepare_data.
        if self.uses_bundled_data:
            write_shapes(self.data_dir)
        return list_samples(self.data_dir, self.declared_num_classes, self.ignore_index)

    @property
    def sample_ids(self) -> list[str]:
        return self.catalog.sample_ids

    @cached_property
    def split_indices(self) -> SplitIndices:
        """Stratified strategies keep the proportions of each image's dominant class."""
        return self.split.assign(self.catalog.sample_ids, self.catalog.labels)

    @property
    def num_classes(self) -> int:
        """Number of classes, background included: the model's output channels."""
        return self.catalog.num_classes

    @property
    def class_weights(self) -> list[float]:
        """Per-class loss weights from the pixels of the training split, as scikit-learn's
        `compute_class_weight("balanced")` gives them: labelled pixels / (classes x class pixels)."""
        counts = self.catalog.pixel_counts[self.split_indices.train].sum(axis=0)
        missing = np.flatnonzero(counts == 0).tolist()
        if missing:
            found = "" if self.declared_num_classes else ", the largest value in the masks plus one"
            raise ValueError(
                f"The training split of {self.data_dir} has no pixels of class {named(missing)} "
                f"(num_classes={self.num_classes}{found}): add images of it, change the split, set num_classes, "
                f"or mark unlabelled pixels with the ignore index {self.ignore_index}."
            )
        weights = counts.sum() / (self.num_classes * counts)
        return [float(weight) for weight in weights]

    def decoded_arrays(self) -> tuple[Path, Path]:
        """Every image and mask of the catalog, decoded and resized, in two arrays:
        (samples, 3, size, size) uint8 and (samples, size, size) int32."""
        catalog = self.catalog
        size = self.image_size
        stamp = fingerprint([*catalog.images, *catalog.masks], size)
        name = data_name(self.data_dir, size)

        def decode_images(array: np.ndarray) -> None:
            for row, path in enumerate(catalog.images):
                array[row] = read_image(path, size)

        def decode_masks(array: np.ndarray) -> None:
            for row, path in enumerate(catalog.masks):
                array[row] = read_resized_mask(path, size)

        count = len(catalog.images)
        images = cached_array(self.cache_dir, f"{name}-images-{stamp}", (count, 3, size, size), np.uint8, decode_images)
        masks = cached_array(self.cache_dir, f"{name}-masks-{stamp}", (count, size, size), np.int32, decode_masks)
        return images, masks

    def _split_dataset(self, positions: list[int]) -> Dataset:
        if self.cache_dir is not None:
            images, masks = self.decoded_arrays()
            return Pairs(MappedRows(images, positions), MappedRows(masks, positions))
        catalog = self.catalog
        return SegmentationFiles(
            images=[catalog.images[i] for i in positions],
            masks=[catalog.masks[i] for i in positions],
            size=self.image_size,
            ignore_index=self.ignore_index,
        )

    def setup(self, stage: str) -> None:
        split = self.split_indices
        if stage == "fit":
            self.train_dataset = self._split_dataset(split.train)
        if stage in ("fit", "validate"):
            self.val_dataset = self._split_dataset(split.val)
        if stage == "test":
            self.test_dataset = self._split_dataset(split.test)
        if stage == "predict":
            if self.predict_dir is None:
                self.predict_dataset = self._split_dataset(split.test)
                self.predict_files = [self.catalog.images[i] for i in split.test]
                self.predict_names = [self.catalog.sample_ids[i] for i in split.test]
            else:
                if not self.predict_dir.is_dir():
                    raise FileNotFoundError(f"predict_dir {self.predict_dir} does not exist or is not a folder.")
                files = image_files(self.predict_dir)
                if not files:
                    raise ValueError(f"predict_dir {self.predict_dir} holds no images.")
                # Unlabelled: every pixel of their masks is the ignore index.
                self.predict_dataset = SegmentationFiles(files, None, self.image_size, self.ignore_index)
                self.predict_files = files
                self.predict_names = [path.relative_to(self.predict_dir).with_suffix("").as_posix() for path in files]

    def on_after_batch_transfer(
        self, batch: tuple[torch.Tensor, torch.Tensor], dataloader_idx: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        images, masks = batch
        training = self.trainer is not None and self.trainer.training
        return self.batch_transform(images, masks, augment=training)

    def batch_transform(
        self, images: torch.Tensor, masks: torch.Tensor, augment: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 images to normalized floats and masks to int64; both flipped alike if `augment`."""
        images = v2.functional.to_dtype(images, torch.float32, scale=True)
        masks = masks.long()
        if augment:
            images, masks = self.train_augmentation(images, masks[:, None])
            masks = masks[:, 0]
        return NORMALIZE(images), masks
