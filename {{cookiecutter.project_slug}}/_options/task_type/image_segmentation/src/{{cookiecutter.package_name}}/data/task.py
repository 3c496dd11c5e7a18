"""Data module for semantic segmentation: images paired by file name with masks of class indices
(or of colours, one per class)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import cached_property, partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from kornia import augmentation
from lightning.pytorch.utilities import rank_zero_warn
from PIL import Image
from torch.utils.data import Dataset

from . import shapes
from .cache import MappedRows, Pairs, Stamp, cached_array, checked_files, checked_store, folder_name, stamps
from .datamodule import SplitDataModule
from .images import (
    IMAGE_SUFFIXES,
    SHOWN,
    ImageSource,
    decode_image,
    files_by_name,
    named,
    open_image,
    oriented_size,
    read_image,
    readable_images,
    resize,
)
from .splitting import Split, SplitIndices

MASK_PATTERN = "{stem}.png"  # a mask's file name, made of its image's name without the suffix
LOSSY_SUFFIXES = frozenset({".jpg", ".jpeg"})
MASK_MODES = frozenset({"1", "L", "P", "I", "I;16"})
COLOUR_MODES = frozenset({"RGB", "RGBA", "RGBX"})
BUNDLED_DIR = Path("data") / "shapes"
# With classes taken from the mask values (no class_names), a value holding less than this share of
# the labelled pixels, beside a class that holds more, is taken for the edge noise of lossy masks.
RARE_SHARE = 0.005
Color = tuple[int, int, int]


def listed(values: Sequence) -> str:
    """`values` in a sentence: "4", "4 and 5", "4, 5 and 6" (the first few, and how many)."""
    values = [str(value) for value in values]
    if len(values) > SHOWN:
        return f"{', '.join(values[:SHOWN])}, ... ({len(values)} in all)"
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"


def percent(share: float) -> str:
    """A share of pixels as a percentage, to two significant digits: "0.02 %"."""
    return f"{100 * share:.2g} %"


def image_to_segment(source: ImageSource, size: int) -> dict[str, torch.Tensor]:
    """An image as the model takes it: `images`, resized to `size` x `size` (uint8, (3, size, size)),
    and `size`, its own [height, width], to which its predicted mask is resized back."""
    image = decode_image(source)  # its EXIF orientation applied: the mask comes back at the size a viewer shows
    return {"images": resize(image, size), "size": torch.tensor([image.height, image.width])}


def color_keys(pixels: np.ndarray) -> np.ndarray:
    """One integer per (r, g, b) of `pixels` (..., 3)."""
    pixels = pixels.astype(np.int32)
    return (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]


def as_color(key: int) -> Color:
    return (int(key) >> 16, (int(key) >> 8) & 255, int(key) & 255)


def colors_by_count(keys: np.ndarray) -> str:
    """The colours of `keys` (from `color_keys`), the most frequent first, with their pixels."""
    colors, counts = np.unique(keys, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return named([f"{list(as_color(colors[i]))} ({counts[i]:,} pixels)" for i in order])


def classes_of_colors(pixels: np.ndarray, mask_colors: Sequence[Color], path: Path) -> np.ndarray:
    """Each pixel's class: the position of its colour in `mask_colors`; a colour not there is refused."""
    palette = color_keys(np.asarray(mask_colors, dtype=np.int32))
    order = np.argsort(palette)
    keys = color_keys(pixels)
    positions = np.minimum(np.searchsorted(palette[order], keys), len(palette) - 1)
    found = palette[order][positions] == keys
    if not found.all():
        strays = keys[~found]
        lossy = len(np.unique(strays)) > len(mask_colors)
        raise ValueError(
            f"Mask {path} holds colours that are none of mask_colors' {len(mask_colors)}: {colors_by_count(strays)}. "
            + (
                "So many colours are what a mask saved as JPEG (lossy) or resized with interpolation holds: "
                "save the masks losslessly (PNG), each pixel in its class's colour. "
                if lossy
                else ""
            )
            + "Add each colour to mask_colors at the position of its class, or repaint those pixels."
        )
    return order[positions].astype(np.int64)


def read_mask(path: Path, mask_colors: Sequence[Color] | None = None) -> np.ndarray:
    """A mask's class indices (height x width, int64): its values, for a single-channel or palette
    image (a palette PNG's indices are its classes); for masks in colours, the position of each
    pixel's colour in `mask_colors`. An RGB mask whose three channels are equal is single-channel."""
    with open_image(path) as mask:
        try:
            if mask_colors is not None:
                return classes_of_colors(np.asarray(mask.convert("RGB")), mask_colors, path)
            if mask.mode in COLOUR_MODES:
                pixels = np.asarray(mask.convert("RGB"))
                if not ((pixels[..., 0] == pixels[..., 1]) & (pixels[..., 1] == pixels[..., 2])).all():
                    raise ValueError(
                        f"Mask {path} is in colours ({mask.mode}), and no mask_colors say which class each colour "
                        f"is: give --data.mask_colors, the [r, g, b] of each class in class order (class 0 first), "
                        f"or save the masks as single-channel or palette PNGs of class indices. Its colours: "
                        f"{colors_by_count(color_keys(pixels))}."
                    )
                values = pixels[..., 0].astype(np.int64)
            elif mask.mode in MASK_MODES:
                values = np.asarray(mask).astype(np.int64)
            else:
                raise ValueError(
                    f"Mask {path} has mode {mask.mode}: a mask holds one class index per pixel (a single-channel "
                    "or palette PNG), or one colour per class with --data.mask_colors."
                )
        except OSError as error:  # truncated or corrupt data, found while decoding
            raise ValueError(f"Cannot decode mask {path}: {error}") from error
    if values.size and values.min() < 0:
        raise ValueError(f"Mask {path} holds the negative value {values.min()}: class indices start at 0.")
    return values


def mask_palette_of(path: Path, classes: int) -> list[list[int]] | None:
    """The [r, g, b] of each class in the palette of the mask at `path`, if it is a palette image."""
    with open_image(path) as mask:
        if mask.mode != "P":
            return None
        palette = mask.getpalette() or []
    colors = [palette[index : index + 3] for index in range(0, len(palette) - 2, 3)][:classes]
    return colors if len(colors) == classes else None


def read_resized_mask(path: Path, size: int, mask_colors: Sequence[Color] | None = None) -> torch.Tensor:
    """A mask's class indices resized to `size` x `size` (nearest: no blended classes), int32."""
    resized = Image.fromarray(read_mask(path, mask_colors).astype(np.int32)).resize(
        (size, size), Image.Resampling.NEAREST
    )
    return torch.from_numpy(np.asarray(resized, dtype=np.int32).copy())


class MaskPattern:
    """How a mask is named after its image: `pattern` with `{stem}`, the image's file name without its
    suffix (`"{stem}.png"`: `a.png` for `a.jpg`; `"{stem}_mask.png"`: `a_mask.png`). A mask lies in
    the same subfolder as its image, of `masks/` or, without a `masks/` folder, of the images' own."""

    def __init__(self, pattern: str) -> None:
        if pattern.count("{stem}") != 1 or "/" in pattern or "\\" in pattern:
            raise ValueError(
                f"mask_pattern={pattern!r}: a mask's file name holding "
                '{stem} once, the name of its image without the suffix, and no folder: "{stem}.png" '
                '(the default), "{stem}_mask.png", ...'
            )
        prefix, suffix = pattern.split("{stem}")
        self.suffix = "." + suffix.rpartition(".")[2].lower()
        if self.suffix not in IMAGE_SUFFIXES:
            raise ValueError(
                f"mask_pattern={pattern!r} does not end with an image suffix ({', '.join(sorted(IMAGE_SUFFIXES))})."
            )
        if self.suffix in LOSSY_SUFFIXES:
            raise ValueError(
                f"mask_pattern={pattern!r} names JPEG masks: JPEG is lossy, and changes the values along every "
                "edge into values of other classes. Save the masks losslessly, as PNG (binary masks of 0 and 255 "
                "saved as JPEG: 1 where the value is above 127, 0 elsewhere)."
            )
        self.pattern = pattern
        self.regex = re.compile(f"{re.escape(prefix)}(?P<stem>.+){re.escape(suffix)}", re.IGNORECASE)

    def mask_name(self, name: str) -> str:
        """The mask's path in its folder of the image's path in its folder without the suffix: "sub/a"."""
        folder, _, stem = name.rpartition("/")
        return f"{folder}/{self.pattern.format(stem=stem)}".lstrip("/")

    def image_name(self, name: str) -> str | None:
        """The name ("sub/a") of the image whose mask is the file `name` ("sub/a_mask.png"), if the pattern fits."""
        folder, _, file_name = name.rpartition("/")
        match = self.regex.fullmatch(file_name)
        return f"{folder}/{match['stem']}".lstrip("/") if match else None


def images_by_name(folder: Path, files: dict[str, Path] | None = None) -> dict[str, Path]:
    """The images under `folder` (or `files`, by their path in it) by name: their path in it without the
    suffix, after which their mask is named."""
    images: dict[str, Path] = {}
    for file_name, path in (files_by_name(folder) if files is None else files).items():
        name = os.path.splitext(file_name)[0]
        if name in images:
            raise ValueError(
                f"Images {images[name]} and {path} have the same name: each image has a mask of its own, "
                f"named after the image without its suffix. Rename one of them."
            )
        images[name] = path
    return images


class Pair(NamedTuple):
    sample_id: str
    image: Path
    mask: Path


def pair_by_name(images_dir: Path, masks_dir: Path, prefix: str = "", pattern: MaskPattern | None = None) -> list[Pair]:
    """Pair each image `images_dir/<name>.<any image suffix>` with its mask, `masks_dir/<name>.png` or as
    `pattern` names it. When `masks_dir` is `images_dir`, the files named as the mask of another are masks."""
    pattern = pattern or MaskPattern(MASK_PATTERN)
    files = files_by_name(images_dir)
    candidates = files_by_name(masks_dir, frozenset({pattern.suffix}))
    masks: dict[str, Path] = {}
    for file_name, path in candidates.items():
        name = pattern.image_name(file_name)
        if name is not None:
            masks[name] = path
    if masks_dir == images_dir:  # masks beside their images: a file named as the mask of another is a mask
        owners: dict[str, list[Path]] = {}
        for file_name, path in files.items():
            owners.setdefault(os.path.splitext(file_name)[0], []).append(path)
        masks = {name: path for name, path in masks.items() if any(other != path for other in owners.get(name, ()))}
        if not masks:
            raise ValueError(
                f"{images_dir} has no masks/ folder beside it: expected {images_dir.parent / 'masks'}, or masks "
                f"beside their images, named by mask_pattern {pattern.pattern!r} (--data.mask_pattern "
                '"{stem}_mask.png" for a_mask.png beside a.jpg).'
            )
    mask_paths = set(masks.values())
    if masks_dir == images_dir:
        files = {file_name: path for file_name, path in files.items() if path not in mask_paths}
    images = images_by_name(images_dir, files)
    unmasked = sorted(images.keys() - masks.keys())
    if unmasked:
        raise ValueError(
            f"Image without a mask: {named([images[name] for name in unmasked])}. Every image needs a mask, "
            f"named by mask_pattern {pattern.pattern!r}, in {masks_dir} "
            f"(e.g. {masks_dir / pattern.mask_name(unmasked[0])})."
        )
    image_paths = set(files.values())
    strays = sorted(path for path in candidates.values() if path not in mask_paths and path not in image_paths)
    orphans = sorted(masks.keys() - images.keys())
    if orphans or strays:
        culprits = [masks[name] for name in orphans] + strays
        raise ValueError(
            f"Mask without an image: {named(culprits)}. Every mask needs an image in {images_dir}, whose name "
            f"without its suffix makes the mask's name by mask_pattern {pattern.pattern!r}."
        )
    return [Pair(f"{prefix}{name}", images[name], masks[name]) for name in sorted(images)]


def find_pairs(root: Path, pattern: MaskPattern | None = None) -> list[Pair]:
    """Pairs under `root/{images,masks}/`, or under `root/<split>/{images,masks}/` for each split folder,
    whose sample ids start with the split's name (`train/<name>`). Without a `masks/` folder, the masks
    lie beside their images, named by `pattern`."""
    pattern = pattern or MaskPattern(MASK_PATTERN)
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
        images_dir = folder / "images"
        masks_dir = folder / "masks" if (folder / "masks").is_dir() else images_dir
        pairs += pair_by_name(images_dir, masks_dir, prefix, pattern)
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


def count_mask_values(image: Path, mask: Path, mask_colors: Sequence[Color] | None = None) -> list[int]:
    """The mask's pixels of each value from 0 to its largest, once it is checked against its image."""
    values = read_mask(mask, mask_colors)
    width, height = oriented_size(image)  # as training reads the image: its EXIF orientation applied
    if values.shape != (height, width):
        raise ValueError(
            f"Mask {mask} is {values.shape[1]}x{values.shape[0]} pixels but its image {image} "
            f"is {width}x{height}: a mask must be the size of its image."
        )
    return np.bincount(values.ravel()).tolist()


def list_samples(
    root: Path,
    ignore_index: int,
    checked: Path | None = None,
    pattern: MaskPattern | None = None,
    mask_colors: Sequence[Color] | None = None,
) -> Catalog:
    """Pair images with masks and read every mask, checking its size against its image's, except the
    pairs that `checked` (a file that this keeps up to date) holds with their present size and
    modification time."""
    pairs = find_pairs(root, pattern)
    images = [pair.image for pair in pairs]
    masks = [pair.mask for pair in pairs]
    sample_ids = [pair.sample_id for pair in pairs]
    pair_stamps = stamps(images, masks)
    results = checked_files(
        checked,
        sample_ids,
        pair_stamps,
        partial(count_mask_values, mask_colors=mask_colors) if mask_colors else count_mask_values,
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


def value_totals(value_counts: Sequence[np.ndarray]) -> np.ndarray:
    """The pixels of each value over all masks (of their per-mask counts)."""
    totals = np.zeros(max((len(counts) for counts in value_counts), default=0), dtype=np.int64)
    for counts in value_counts:
        totals[: len(counts)] += counts
    return totals


def lossy_or_scaled(totals: np.ndarray) -> list[str]:
    """What makes mask values look like no class indices, when the classes are taken from them: most
    values from 0 to the largest hold no pixel (masks scaled: 0, 60, 120, ...), or some value holds less
    than `RARE_SHARE` of the labelled pixels while a value other than 0 holds more (the edge noise of
    masks saved as JPEG, or resized with interpolation; the message names with it the values above
    every value of 4 x `RARE_SHARE` or more, where that noise lies). Empty: they look like class indices."""
    present = np.flatnonzero(totals)
    if len(present) < 2:
        return []
    found = []
    largest = int(present[-1])
    if largest + 1 - len(present) > len(present):
        found.append(f"only {len(present)} of the values from 0 to {largest} hold pixels ({listed(present.tolist())})")
    shares = totals / totals.sum()
    rare = [int(value) for value in present if shares[value] < RARE_SHARE]
    if rare and any(value and shares[value] >= RARE_SHARE for value in present):
        # Named with them: the values above every class of some size, where lossy masks' noise lies.
        sizeable = [int(value) for value in present if shares[value] >= 4 * RARE_SHARE]
        suspects = sorted({*rare, *(int(value) for value in present if value > max(sizeable, default=0))})
        each = ", ".join(f"{value}: {percent(shares[value])}" for value in suspects[:SHOWN])
        found.append(
            f"value{'s' if len(suspects) > 1 else ''} {listed(suspects)} hold{'' if len(suspects) > 1 else 's'} "
            f"only {percent(shares[suspects].sum())} of the labelled pixels ({each})"
        )
    return found


def checked_colors(mask_colors: list[list[int]], class_names: list[str] | None) -> tuple[Color, ...]:
    """`mask_colors` as (r, g, b) tuples, once each is checked: three values from 0 to 255, no
    colour twice, one per class."""
    colors = []
    for color in mask_colors:
        if len(color) != 3 or not all(isinstance(value, int) and 0 <= value <= 255 for value in color):
            raise ValueError(f"mask_colors: {list(color)} is no colour: a colour is [r, g, b], each from 0 to 255.")
        colors.append((int(color[0]), int(color[1]), int(color[2])))
    if len(colors) < 2:
        raise ValueError(f"mask_colors={mask_colors}: segmentation needs at least 2 classes, the background included.")
    repeated = sorted({color for color in colors if colors.count(color) > 1})
    if repeated:
        raise ValueError(f"mask_colors gives {named([list(color) for color in repeated])} to two classes.")
    if class_names is not None and len(class_names) != len(colors):
        raise ValueError(
            f"mask_colors gives {len(colors)} colours and class_names {len(class_names)} classes: one colour "
            "per class, in the order of class_names."
        )
    return tuple(colors)


class SegmentationFiles(Dataset):
    """Images and their masks, decoded from the files whenever they are read and resized to
    `size` x `size`: uint8 (3, size, size) and int32 (size, size)."""

    def __init__(
        self, images: list[Path], masks: list[Path], size: int, mask_colors: Sequence[Color] | None = None
    ) -> None:
        self.images = images
        self.masks = masks
        self.size = size
        self.mask_colors = mask_colors

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        mask = read_resized_mask(self.masks[index], self.size, self.mask_colors)
        return read_image(self.images[index], self.size), mask


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
    """Images and their masks of class indices (or of one colour per class), paired by file name,
    split by `split`.

    Loaders yield uint8 images, which the model scales and normalizes itself, and int32 masks;
    `on_after_batch_transfer` makes the masks int64 and flips training images with their masks,
    on the device that trains (the GPU, where there is one).

    Args:
        split: How samples are assigned to train, val and test.
        data_dir: Holds `images/` and `masks/` (or `train/`, `val/`, `test/` folders that each
            hold them; without `masks/`, the masks lie beside their images). None: the bundled
            shapes, written to `data/shapes` in the working folder on first use.
        class_names: The classes, mask value i being `class_names[i]` (0 the background); a mask
            value that is neither a class nor `ignore_index` is an error. None: the shapes' names
            for the bundled data; otherwise `class_0`, `class_1`, ... up to the largest value in the
            masks (or one per colour of `mask_colors`), and masks whose values look lossy or scaled
            are refused (see `lossy_or_scaled`): naming the classes says that every value is one.
        ignore_index: Mask value of unlabelled pixels: no loss, no metric.
        mask_pattern: A mask's file name, `{stem}` being its image's name without the suffix:
            `"{stem}.png"` (`a.png` for `a.jpg`), `"{stem}_mask.png"` (`a_mask.png`), ...
        mask_colors: For masks in colours (RGB): the [r, g, b] of each class, class 0 first; a
            pixel of another colour is an error. None: masks of class indices (single-channel, or
            palette images whose indices are the classes).
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
        balance_classes: The model's `balance_classes`, set from `--model.init_args.balance_classes`
            through the config: false, no class weights are computed (`class_weights` is None).
    """

    def __init__(
        self,
        split: Split,
        data_dir: str | None = None,
        class_names: list[str] | None = None,
        ignore_index: int = 255,
        mask_pattern: str = MASK_PATTERN,
        mask_colors: list[list[int]] | None = None,
        image_size: int = 64,
        vertical_flip: bool = True,
        batch_size: int = 32,
        num_workers: int | None = None,
        cache_dir: str | None = "data/cache",
        predict_dir: str | None = None,
        balance_classes: bool = True,
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
        self.mask_colors = checked_colors(mask_colors, class_names) if mask_colors is not None else None
        self.mask_pattern = MaskPattern(mask_pattern)
        self.data_dir = Path(data_dir) if data_dir else BUNDLED_DIR
        self.uses_bundled_data = data_dir is None
        self.declared_class_names = list(class_names) if class_names is not None else None
        self.ignore_index = ignore_index
        self.image_size = image_size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.predict_dir = Path(predict_dir) if predict_dir else None
        self.balance_classes = balance_classes
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

    @property
    def reading(self) -> str:
        """What the masks' reading settings add to the names of the cached files: nothing for the
        defaults, else a digest of them (masks read otherwise hold other values)."""
        if self.mask_colors is None and self.mask_pattern.pattern == MASK_PATTERN:
            return ""
        settings = repr((self.mask_pattern.pattern, self.mask_colors))
        return "-" + hashlib.sha256(settings.encode()).hexdigest()[:8]

    @cached_property
    def catalog(self) -> Catalog:
        # The linked values need the catalog before the trainer calls prepare_data.
        if self.uses_bundled_data:
            shapes.write_shapes(self.data_dir)
        store = checked_store(self.cache_dir, self.data_dir)
        if store is not None and self.reading:
            store = store.with_name(f"{store.stem}{self.reading}{store.suffix}")
        return list_samples(self.data_dir, self.ignore_index, store, self.mask_pattern, self.mask_colors)

    @property
    def sample_ids(self) -> list[str]:
        return self.catalog.sample_ids

    @cached_property
    def class_names(self) -> list[str]:
        """The classes, in the order of the model's outputs: mask value i is `class_names[i]`. Taken
        from the masks, they are refused when the values look lossy or scaled (`lossy_or_scaled`)."""
        if self.declared_class_names is not None:
            return self.declared_class_names
        if self.uses_bundled_data:
            return list(shapes.CLASS_NAMES)
        if self.mask_colors is not None:
            return [f"class_{value}" for value in range(len(self.mask_colors))]
        totals = value_totals(self.catalog.value_counts)
        found = lossy_or_scaled(totals)
        if found:
            raise ValueError(
                f"The masks under {self.data_dir} look lossy or scaled: {'; '.join(found)}. Without class_names, "
                f"every value from 0 to {len(totals) - 1} would be a class. Save the masks losslessly (PNG) with "
                f"one value per class, 0 for the background, 1, 2, ... for the others; or, if these values are "
                f"classes, name every class with --data.class_names (mask value i is the i-th name)."
            )
        return [f"class_{value}" for value in range(max(len(totals), 2))]

    @cached_property
    def mask_palette(self) -> list[list[int]] | None:
        """The [r, g, b] of each class, with which predicted masks are written: `mask_colors`, or the
        palette of the first mask when it is a palette image; None: masks of plain class indices."""
        if self.mask_colors is not None:
            return [list(color) for color in self.mask_colors]
        if not self.data_dir.is_dir() and not self.uses_bundled_data:
            return None  # a checkpoint older than this value, predicting without its training data
        return mask_palette_of(self.catalog.masks[0], len(self.class_names))

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
                    f"{named(self.class_names)}) nor the ignore index {self.ignore_index}. "
                    + self.values_beyond_classes(classes)
                )
            counts[row, : len(value_counts)] = value_counts
        return counts

    def values_beyond_classes(self, classes: int) -> str:
        """What the masks hold beyond the first `classes` values, and what that suggests."""
        totals = value_totals(self.catalog.value_counts)
        beyond = [int(value) for value in np.flatnonzero(totals[classes:]) + classes]
        masks = sum(len(counts) > classes for counts in self.catalog.value_counts)
        share = totals[classes:].sum() / totals.sum()
        told = (
            f"The masks hold {len(beyond)} such value{'s' if len(beyond) > 1 else ''} ({listed(beyond)}), in "
            f"{masks:,} mask{'s' if masks > 1 else ''}, {percent(share)} of the labelled pixels"
        )
        # Lossy: some value holds a few pixels; scaled: most values from the classes' to the largest hold none.
        if totals[beyond].min() < RARE_SHARE * totals.sum() or beyond[-1] + 1 - classes > 2 * len(beyond):
            return (
                f"{told}: they look lossy or scaled (saved as JPEG, or resized with interpolation, or values not "
                f"0, 1, 2, ...). Save the masks losslessly (PNG) with one value per class."
            )
        return (
            f"{told}: name a class for each value with --data.class_names, or mark unlabelled pixels with the "
            "ignore index."
        )

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
    def class_weights(self) -> list[float] | None:
        """Per-class loss weights from the pixels of the training split, as scikit-learn's
        `compute_class_weight("balanced")` gives them: labelled pixels / (classes x class pixels).
        A class with no pixel in the training split weighs as the heaviest other class (no training
        pixel has it: the weight only counts where validation or test masks hold it), said in a
        warning. None, without computing anything, when the model does not balance classes."""
        if not self.balance_classes:
            return None
        counts = self.pixel_counts[self.split_indices.train].sum(axis=0)
        if not counts.any():
            raise ValueError(
                f"The training split of {self.data_dir} has no labelled pixel: every mask in it holds only the "
                f"ignore index {self.ignore_index}."
            )
        present = counts > 0
        weights = np.zeros(len(counts))
        weights[present] = counts.sum() / (len(self.class_names) * counts[present])
        if not present.all():
            heaviest = weights[present].max()
            weights[~present] = heaviest
            missing = [self.class_names[index] for index in np.flatnonzero(~present)]
            them = len(missing) > 1
            rank_zero_warn(
                f"The training split of {self.data_dir} has no pixels of class {listed(missing)}: the model cannot "
                f"learn {'them' if them else 'it'}, and {'their' if them else 'its'} loss weight is {heaviest:.3g}, "
                f"the heaviest other class's. Add images of {'them' if them else 'it'} to the training split."
            )
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
            # Masks read with other settings hold other values: an array of their own.
            f"{name}-masks{self.reading}-{size}px",
            partial(read_resized_mask, size=size, mask_colors=self.mask_colors),
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
            [catalog.images[i] for i in positions],
            [catalog.masks[i] for i in positions],
            self.image_size,
            self.mask_colors,
        )

    def prediction_dataset(self) -> tuple[Dataset, list[str]]:
        if self.predict_dir is None:
            test = self.split_indices.test
            files = [self.catalog.images[i] for i in test]
            # Each image's id as splits.csv gives it.
            self.predict_ids = {str(self.catalog.images[i]): self.catalog.sample_ids[i] for i in test}
        elif not self.predict_dir.is_dir():
            raise FileNotFoundError(f"predict_dir {self.predict_dir} does not exist or is not a folder.")
        else:
            # Each image's mask is named as the image: two images of one name would share it.
            files, unreadable = readable_images(list(images_by_name(self.predict_dir).values()))
            # Skipped, and listed beside the predictions: one bad file does not stop the others.
            self.predict_skipped = [(str(path), why) for path, why in unreadable]
            if not files:
                raise ValueError(
                    f"predict_dir {self.predict_dir} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})."
                )
            # Each image's path in predict_dir.
            self.predict_ids = {str(path): path.relative_to(self.predict_dir).as_posix() for path in files}
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
