"""Data module for semantic segmentation: images paired by file name with masks of class indices."""

from __future__ import annotations

import os
from functools import cached_property, partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from kornia import augmentation
from PIL import Image
from torch.utils.data import Dataset

from . import shapes
from .cache import MappedRows, Pairs, Stamp, cached_array, checked_files, checked_store, folder_name, stamps
from .datamodule import SplitDataModule
from .images import IMAGE_SUFFIXES, ImageSource, files_by_name, open_image, read_image
from .splitting import Split, SplitIndices

MASK_SUFFIX = ".png"
MASK_MODES = frozenset({"1", "L", "P", "I", "I;16"})
BUNDLED_DIR = Path("data") / "shapes"
SHOWN = 5  # culprits named in one error message


def named(culprits: list) -> str:
    """The first few of `culprits` (files, classes), and how many there are in all."""
    shown = ", ".join(str(culprit) for culprit in culprits[:SHOWN])
    return shown if len(culprits) <= SHOWN else f"{shown}, ... ({len(culprits)} in all)"


def image_to_segment(source: ImageSource, size: int) -> dict[str, torch.Tensor]:
    """An image as the model takes it: `images`, resized to `size` x `size` (uint8, (3, size, size)),
    and `size`, its own [height, width], to which its predicted mask is resized back."""
    image = open_image(source)
    try:
        return {"images": read_image(image, size), "size": torch.tensor([image.height, image.width])}
    finally:
        if image is not source:
            image.close()


def read_size(path: Path) -> tuple[int, int]:
    """(width, height), read from the file's header."""
    with open_image(path) as image:
        return image.size


def read_mask(path: Path) -> np.ndarray:
    """A mask's values (height x width, int64): a single-channel image, palette PNGs included."""
    with open_image(path) as mask:
        if mask.mode not in MASK_MODES:
            raise ValueError(
                f"Mask {path} has mode {mask.mode}: a mask holds one class index per pixel "
                "(a single-channel or palette PNG), not colours."
            )
        try:
            values = np.asarray(mask).astype(np.int64)
        except OSError as error:  # truncated or corrupt data, found while decoding
            raise ValueError(f"Cannot decode mask {path}: {error}") from error
    if values.size and values.min() < 0:
        raise ValueError(f"Mask {path} holds the negative value {values.min()}: class indices start at 0.")
    return values


def read_resized_mask(path: Path, size: int) -> torch.Tensor:
    """A mask's values resized to `size` x `size` (nearest: no blended classes), int32."""
    resized = Image.fromarray(read_mask(path).astype(np.int32)).resize((size, size), Image.Resampling.NEAREST)
    return torch.from_numpy(np.asarray(resized, dtype=np.int32).copy())


def images_by_name(folder: Path) -> dict[str, Path]:
    """The images under `folder` by name: their path in it without the suffix, which their mask shares."""
    images: dict[str, Path] = {}
    for file_name, path in files_by_name(folder).items():
        name = os.path.splitext(file_name)[0]
        if name in images:
            raise ValueError(
                f"Images {images[name]} and {path} have the same name: each image has a mask of its own, "
                f"named as the image with {MASK_SUFFIX}. Rename one of them."
            )
        images[name] = path
    return images


class Pair(NamedTuple):
    sample_id: str
    image: Path
    mask: Path


def pair_by_name(images_dir: Path, masks_dir: Path, prefix: str = "") -> list[Pair]:
    """Pair `images_dir/<name>.<any image suffix>` with `masks_dir/<name>.png`."""
    images = images_by_name(images_dir)
    masks = {
        os.path.splitext(name)[0]: path for name, path in files_by_name(masks_dir, frozenset({MASK_SUFFIX})).items()
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
    """Every image of the data folder with its mask, and what each mask holds."""

    sample_ids: list[str]
    images: list[Path]
    masks: list[Path]
    # Per mask: its pixels of each value from 0 to its largest class index; the ignore index's are left out.
    value_counts: list[np.ndarray]
    stamps: list[Stamp]  # each image's and its mask's size and modification time


def count_mask_values(image: Path, mask: Path) -> list[int]:
    """The mask's pixels of each value from 0 to its largest, once it is checked against its image."""
    values = read_mask(mask)
    width, height = read_size(image)
    if values.shape != (height, width):
        raise ValueError(
            f"Mask {mask} is {values.shape[1]}x{values.shape[0]} pixels but its image {image} "
            f"is {width}x{height}: a mask must be the size of its image."
        )
    return np.bincount(values.ravel()).tolist()


def list_samples(root: Path, ignore_index: int, checked: Path | None = None) -> Catalog:
    """Pair images with masks and read every mask, checking its size against its image's, except the
    pairs that `checked` (a file that this keeps up to date) holds with their present size and
    modification time."""
    pairs = find_pairs(root)
    images = [pair.image for pair in pairs]
    masks = [pair.mask for pair in pairs]
    sample_ids = [pair.sample_id for pair in pairs]
    pair_stamps = stamps(images, masks)
    results = checked_files(
        checked,
        sample_ids,
        pair_stamps,
        count_mask_values,
        [(pair.image, pair.mask) for pair in pairs],
        f"Reading {len(masks):,} masks",
    )
    counts = []
    ignored = 0
    for result in results:
        if isinstance(result, ValueError):
            raise result
        value_counts = np.array(result, dtype=np.int64)
        if 0 <= ignore_index < len(value_counts):
            ignored += value_counts[ignore_index]
            value_counts[ignore_index] = 0
        counts.append(np.trim_zeros(value_counts, "b"))
    if ignored and all(len(value_counts) <= 1 for value_counts in counts):
        raise ValueError(
            f"Every mask under {root} holds only 0 and {ignore_index}: binary masks with {ignore_index} for the "
            f"object, which is the ignore index (unlabelled pixels, left out of training), so no pixel is labelled "
            f"as an object. Save the masks with 1 for the object (masks of 0 and 1), or set --data.ignore_index to "
            f"another value if {ignore_index} marks a class."
        )
    return Catalog(sample_ids=sample_ids, images=images, masks=masks, value_counts=counts, stamps=pair_stamps)


class SegmentationFiles(Dataset):
    """Images and their masks, decoded from the files whenever they are read and resized to
    `size` x `size`: uint8 (3, size, size) and int32 (size, size)."""

    def __init__(self, images: list[Path], masks: list[Path], size: int) -> None:
        self.images = images
        self.masks = masks
        self.size = size

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return read_image(self.images[index], self.size), read_resized_mask(self.masks[index], self.size)


class ImagesToSegment(Dataset):
    """Images to predict, each read as the model's `read_input` reads it (`image_to_segment`)."""

    def __init__(self, files: list[Path], size: int) -> None:
        self.files = files
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return image_to_segment(self.files[index], self.size)


class ImageSegmentationDataModule(SplitDataModule):
    """Images and their masks of class indices, paired by file name, split by `split`.

    Loaders yield uint8 images, which the model scales and normalizes itself, and int32 masks;
    `on_after_batch_transfer` makes the masks int64 and flips training images with their masks,
    on the device that trains (the GPU, where there is one).

    Args:
        split: How samples are assigned to train, val and test.
        data_dir: Holds `images/` and `masks/` (or `train/`, `val/`, `test/` folders that each
            hold them). None: the bundled shapes, written to `data/shapes` in the working
            folder on first use.
        class_names: The classes, mask value i being `class_names[i]` (0 the background); a mask
            value that is neither a class nor `ignore_index` is an error. None: the shapes' names
            for the bundled data; otherwise `class_0`, `class_1`, ... up to the largest value in the masks.
        ignore_index: Mask value of unlabelled pixels: no loss, no metric.
        image_size: Images and masks are resized to `image_size` x `image_size`.
        vertical_flip: Augment with vertical flips too (horizontal flips always); turn off
            where up and down differ, as in street scenes.
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches on each device (0: load in the main
            process; None: none when reading the cache, else from the CPU cores this process may use).
        cache_dir: Where the images and masks, decoded once, are kept as memory-mapped
            arrays (rebuilt when a file changes). None: decode every file at every epoch,
            for data sets too large to copy.
        predict_dir: Images to predict (any layout, no masks). None: the test split.
    """

    def __init__(
        self,
        split: Split,
        data_dir: str | None = None,
        class_names: list[str] | None = None,
        ignore_index: int = 255,
        image_size: int = 64,
        vertical_flip: bool = True,
        batch_size: int = 32,
        num_workers: int | None = None,
        cache_dir: str | None = "data/cache",
        predict_dir: str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        self.save_hyperparameters(ignore=["split"], logger=False)
        if class_names is not None and len(class_names) < 2:
            raise ValueError(
                f"class_names={class_names}: segmentation needs at least 2 classes, the background (mask value 0) "
                "included."
            )
        if class_names is not None and len(set(class_names)) < len(class_names):
            repeated = sorted({name for name in class_names if class_names.count(name) > 1})
            raise ValueError(f"class_names={class_names} names a class twice: {named(repeated)}.")
        self.data_dir = Path(data_dir) if data_dir else BUNDLED_DIR
        self.uses_bundled_data = data_dir is None
        self.declared_class_names = list(class_names) if class_names is not None else None
        self.ignore_index = ignore_index
        self.image_size = image_size
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
        if self.predict_dir is not None and self.trainer is not None and self.trainer.predicting:
            return  # predicting other images: the training data are not needed, nor read
        if self.uses_bundled_data:
            shapes.write_shapes(self.data_dir)
        if self.cache_dir is not None:
            self.decoded_arrays()

    @cached_property
    def catalog(self) -> Catalog:
        # The linked values need the catalog before the trainer calls prepare_data.
        if self.uses_bundled_data:
            shapes.write_shapes(self.data_dir)
        return list_samples(self.data_dir, self.ignore_index, checked_store(self.cache_dir, self.data_dir))

    @property
    def sample_ids(self) -> list[str]:
        return self.catalog.sample_ids

    @cached_property
    def class_names(self) -> list[str]:
        """The classes, in the order of the model's outputs: mask value i is `class_names[i]`."""
        if self.declared_class_names is not None:
            return self.declared_class_names
        if self.uses_bundled_data:
            return list(shapes.CLASS_NAMES)
        largest = max(len(value_counts) for value_counts in self.catalog.value_counts) - 1
        return [f"class_{value}" for value in range(max(largest + 1, 2))]

    @cached_property
    def pixel_counts(self) -> np.ndarray:
        """(samples, classes): each mask's pixels of each class. A mask value that is neither a class
        (of the checkpoint, when evaluating one) nor the ignore index is refused, with its mask named."""
        classes = len(self.class_names)
        counts = np.zeros((len(self.catalog.masks), classes), dtype=np.int64)
        for row, (mask, value_counts) in enumerate(zip(self.catalog.masks, self.catalog.value_counts, strict=True)):
            if len(value_counts) > classes:
                value = classes + int(np.flatnonzero(value_counts[classes:])[0])
                raise ValueError(
                    f"Mask {mask} holds the value {value}, which is neither a class (0 to {classes - 1}: "
                    f"{named(self.class_names)}) nor the ignore index {self.ignore_index}."
                )
            counts[row, : len(value_counts)] = value_counts
        return counts

    def dominant_classes(self) -> list[str]:
        """Each image's class that covers most of its mask besides the background (the background
        for an image of no other class): what stratified strategies keep in proportion."""
        objects = self.pixel_counts[:, 1:]
        dominant = np.where(objects.any(axis=1), objects.argmax(axis=1) + 1, 0)
        return [self.class_names[index] for index in dominant]

    @cached_property
    def split_indices(self) -> SplitIndices:
        return self.split.assign(self.catalog.sample_ids, self.dominant_classes())

    @cached_property
    def class_weights(self) -> list[float]:
        """Per-class loss weights from the pixels of the training split, as scikit-learn's
        `compute_class_weight("balanced")` gives them: labelled pixels / (classes x class pixels)."""
        counts = self.pixel_counts[self.split_indices.train].sum(axis=0)
        missing = [self.class_names[index] for index in np.flatnonzero(counts == 0)]
        if missing:
            raise ValueError(
                f"The training split of {self.data_dir} has no pixels of class {named(missing)} "
                f"(classes: {named(self.class_names)}): add images of it, change the split, set class_names, "
                f"or mark unlabelled pixels with the ignore index {self.ignore_index}."
            )
        weights = counts.sum() / (len(self.class_names) * counts)
        return [float(weight) for weight in weights]

    def decoded_arrays(self) -> tuple[Path, Path]:
        """Every image and mask of the catalog, decoded and resized, in two arrays:
        (samples, 3, size, size) uint8 and (samples, size, size) int32."""
        catalog = self.catalog
        size = self.image_size
        name = folder_name(self.data_dir)
        samples = (catalog.sample_ids, catalog.stamps)
        images = cached_array(
            self.cache_dir,
            f"{name}-images-{size}px",
            partial(read_image, size=size),
            catalog.images,
            np.uint8,
            *samples,
        )
        masks = cached_array(
            self.cache_dir,
            f"{name}-masks-{size}px",
            partial(read_resized_mask, size=size),
            catalog.masks,
            np.int32,
            *samples,
        )
        return images, masks

    def split_dataset(self, positions: list[int], train: bool = False) -> Dataset:
        if self.cache_dir is not None:
            images, masks = self.decoded_arrays()
            return Pairs(MappedRows(images, positions), MappedRows(masks, positions))
        catalog = self.catalog
        return SegmentationFiles(
            [catalog.images[i] for i in positions], [catalog.masks[i] for i in positions], self.image_size
        )

    def prediction_dataset(self) -> tuple[Dataset, list[str]]:
        if self.predict_dir is None:
            files = [self.catalog.images[i] for i in self.split_indices.test]
        elif not self.predict_dir.is_dir():
            raise FileNotFoundError(f"predict_dir {self.predict_dir} does not exist or is not a folder.")
        else:
            # Each image's mask is named as the image: two images of one name would share it.
            files = list(images_by_name(self.predict_dir).values())
            if not files:
                raise ValueError(
                    f"predict_dir {self.predict_dir} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})."
                )
        # Read from the files, as the model reads any image: the cache keeps no image's own size.
        return ImagesToSegment(files, self.image_size), [str(path) for path in files]

    def on_after_batch_transfer(
        self, batch: tuple[torch.Tensor, torch.Tensor] | dict[str, torch.Tensor], dataloader_idx: int
    ) -> tuple[torch.Tensor, torch.Tensor] | dict[str, torch.Tensor]:
        if isinstance(batch, dict):  # images to predict and their sizes: no masks
            return batch
        images, masks = batch
        # The loss and metrics take int64 class indices; the loaders copy int32, half the bytes.
        masks = masks.long()
        if self.trainer is not None and self.trainer.training:
            images, masks = self.augment(images, masks)
        return images, masks

    def augment(self, images: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 images to floats in [0, 1], each flipped at random, its mask alike."""
        images, masks = self.train_augmentation(images.float() / 255, masks[:, None])
        return images, masks[:, 0]
