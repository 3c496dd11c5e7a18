"""Data module for image classification over a folder of class folders."""

from __future__ import annotations

from functools import cached_property, partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from kornia import augmentation
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from ..models.backbones import pretrained_image_size
from .cache import MappedRows, Pairs, Stamp, cached_array, checked_files, checked_store, folder_name, stamps
from .classes import balanced_class_weights, class_indices
from .datamodule import SplitDataModule
from .digits import write_digits
from .images import IMAGE_SUFFIXES, files_by_name, hidden, named, read_image, readable_images
from .splitting import Split, SplitIndices

BUNDLED_DIR = Path("data") / "digits"


# A data folder whose top-level folders are these (train among them) holds a class folder in each.
SPLIT_FOLDERS = ("train", "val", "test")


class Catalog(NamedTuple):
    """Every image of the data folder, with its class: the top-level folder it lies in (`class_folder`)."""

    sample_ids: list[str]
    files: list[Path]
    label_names: list[str]
    class_names: list[str]
    stamps: list[Stamp]  # each file's size and modification time


class ImageFiles(Dataset):
    """Images decoded from `files` whenever they are read, each with its class index."""

    def __init__(self, files: list[Path], labels: list[int], size: int) -> None:
        self.files = files
        self.labels = labels
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return read_image(self.files[index], self.size), self.labels[index]


def verify_image(path: Path) -> bool:
    """True if PIL can identify `path` and its data pass the format's integrity check; otherwise a
    ValueError naming it.

    Cheaper than decoding: it catches files that are not images and most corruption
    before training starts; a file that still fails to decode is named when it is read.
    """
    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, SyntaxError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path}: {error}") from error
    return True


def split_layout(root: Path) -> bool:
    """Whether `root` holds split folders (`train/`, and maybe `val/` and `test/`, nothing else), each
    of which holds class folders, rather than class folders. Two split folders or more beside other
    folders are refused: the others would be classes, and `train`, `val` and `test` too (one beside
    others is a class: `bus/`, `car/`, `train/`)."""
    folders = {entry.name for entry in root.iterdir() if entry.is_dir() and not hidden(entry.name)}
    splits = folders & set(SPLIT_FOLDERS)
    if "train" in folders and folders == splits:
        return True
    if len(splits) >= 2:
        others = sorted(folders - splits)
        raise ValueError(
            f"{root} holds split folders ({', '.join(sorted(splits))}) beside other folders ({named(others)}): "
            "hold either class folders, or split folders (train/, val/, test/) that each hold class folders."
        )
    return False


def class_folder(sample_id: str, in_split_folders: bool) -> str | None:
    """The class of the image at `sample_id` (its path in the data folder): the top-level folder it
    lies in, whatever folders lie below (`cat/indoor/1.jpg`: `cat`), or with split folders the folder
    under the split folder (`train/cat/indoor/1.jpg`: `cat`). None for an image outside any class folder."""
    folders = sample_id.split("/")[:-1]
    if in_split_folders:
        folders = folders[1:]
    return folders[0] if folders else None


def list_images(root: Path, checked: Path | None = None) -> Catalog:
    """List the images under `root`; each one's class is the top-level folder it lies in
    (`class_folder`; hidden files and folders are left out). An image outside any class folder is
    refused, and so is every image that is not readable; each is verified, except those that
    `checked` (a file that this keeps up to date) holds as verified with their present size and
    modification time."""
    if not root.is_dir():
        raise FileNotFoundError(f"data_dir {root} does not exist or is not a folder.")
    found = files_by_name(root)
    if not found:
        raise ValueError(f"data_dir {root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    in_split_folders = split_layout(root)
    label_names = [class_folder(sample_id, in_split_folders) for sample_id in found]
    strays = [sample_id for sample_id, label in zip(found, label_names, strict=True) if label is None]
    if strays:
        where = "directly in a split folder (train/, val/, test/)" if in_split_folders else "directly in it"
        layout = "<data_dir>/<split>/<class>/.../<image>" if in_split_folders else "<data_dir>/<class>/.../<image>"
        raise ValueError(
            f"data_dir {root} holds {len(strays)} image(s) {where}, outside any class folder: {named(strays)}. "
            f"The class of an image is the top-level folder it lies in ({layout}): move each into its "
            "class's folder, or out of data_dir."
        )
    sample_ids, files = list(found), list(found.values())
    file_stamps = stamps(files)
    verified = checked_files(
        checked, sample_ids, file_stamps, verify_image, [(path,) for path in files], f"Checking {len(files):,} images"
    )
    unreadable = [path for path, result in zip(files, verified, strict=True) if isinstance(result, ValueError)]
    if unreadable:
        listed = "\n  ".join(str(path) for path in unreadable[:10])
        more = f"\n  ... and {len(unreadable) - 10} more" if len(unreadable) > 10 else ""
        raise ValueError(
            f"data_dir {root} holds {len(unreadable)} file(s) that are not readable images; "
            f"fix or remove them:\n  {listed}{more}"
        )
    class_names = sorted(set(label_names))
    if len(class_names) < 2:
        raise ValueError(
            f"data_dir {root} has one class only ({class_names[0]}): put each class's images in a folder of its own."
        )
    return Catalog(
        sample_ids=sample_ids, files=files, label_names=label_names, class_names=class_names, stamps=file_stamps
    )


class ImageClassificationDataModule(SplitDataModule):
    """Images in class folders (`<data_dir>/<class>/.../<image>`: the class is the top-level
    folder, whatever lies below it; or `<data_dir>/<split>/<class>/.../<image>` with split folders
    `train/`, `val/`, `test/`), split by `split`. Hidden files and folders are left out.

    Loaders yield uint8 images, which the model scales and normalizes itself;
    `on_after_batch_transfer` augments training batches on the device that trains (the GPU,
    where there is one).

    Args:
        split: How samples are assigned to train, val and test.
        data_dir: The image folder. None: the bundled digits, written to
            `data/digits` in the working folder on first use.
        image_size: Images are resized to `image_size` x `image_size`. None: the size the model's
            pretrained weights were trained at (224 for ImageNet weights), 32 without.
        backbone: The model's backbone, set from `--model.init_args.backbone` through the config.
        pretrained: The model's pretrained weights, set from `--model.init_args.pretrained`.
        batch_size: Samples per batch, on each device.
        num_workers: Processes that load batches on each device (0: load in the main
            process; None: none when reading the cache, else from the CPU cores this process may use).
        cache_dir: Where the images, decoded once, are kept as one memory-mapped array
            (rebuilt when a file changes). None: decode every image at every epoch, for
            data sets too large to copy.
        predict_dir: Images to predict (any layout; hidden files left out). None: the test split.
            A file that does not decode is skipped, and listed beside the predictions.
    """

    def __init__(
        self,
        split: Split,
        data_dir: str | None = None,
        image_size: int | None = None,
        batch_size: int = 64,
        num_workers: int | None = None,
        cache_dir: str | None = "data/cache",
        predict_dir: str | None = None,
        backbone: str = "small_cnn",
        pretrained: bool | str | None = None,
    ) -> None:
        super().__init__(split, batch_size, num_workers)
        self.save_hyperparameters(ignore=["split"], logger=False)
        self.data_dir = Path(data_dir) if data_dir else BUNDLED_DIR
        self.uses_bundled_data = data_dir is None
        self.image_size = image_size or pretrained_image_size(backbone, pretrained) or 32
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.predict_dir = Path(predict_dir) if predict_dir else None
        # Per-sample random parameters, applied to whole batches on their device.
        self.train_augmentation = augmentation.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1), p=1.0)

    def prepare_data(self) -> None:
        """Write the bundled digits if they are the data and not on disk yet; decode the images
        into the cache if it is out of date. Runs once per machine."""
        if self.predict_dir is not None and self.trainer is not None and self.trainer.predicting:
            return  # predicting other images: the training data are not needed, nor read
        if self.uses_bundled_data:
            write_digits(self.data_dir)
        if self.cache_dir is not None:
            self.decoded_images()

    @cached_property
    def catalog(self) -> Catalog:
        # The linked values need the catalog before the trainer calls prepare_data.
        if self.uses_bundled_data:
            write_digits(self.data_dir)
        return list_images(self.data_dir, checked_store(self.cache_dir, self.data_dir))

    @property
    def sample_ids(self) -> list[str]:
        return self.catalog.sample_ids

    @cached_property
    def split_indices(self) -> SplitIndices:
        return self.split.assign(self.catalog.sample_ids, self.catalog.label_names)

    @cached_property
    def class_names(self) -> list[str]:
        """The classes, in the order of the model's outputs: the class folders' names, sorted."""
        return self.catalog.class_names

    @cached_property
    def class_weights(self) -> list[float]:
        """Per-class loss weights, inversely proportional to class frequency in the training split."""
        return balanced_class_weights(self.labels(self.split_indices.train), self.class_names, self.data_dir)

    def labels(self, positions: list[int]) -> list[int]:
        """The class indices of the images at `positions`, in the model's output order."""
        names = [self.catalog.label_names[i] for i in positions]
        return class_indices(names, [self.sample_ids[i] for i in positions], self.class_names, self.data_dir)

    def decoded_images(self) -> Path:
        """Every image of the catalog, decoded and resized, in one array: (samples, 3, size, size)."""
        catalog = self.catalog
        size = self.image_size
        return cached_array(
            self.cache_dir,
            f"{folder_name(self.data_dir)}-{size}px",
            partial(read_image, size=size),
            catalog.files,
            np.uint8,
            catalog.sample_ids,
            catalog.stamps,
        )

    def split_dataset(self, positions: list[int], train: bool = False) -> Dataset:
        labels = self.labels(positions)
        if self.cache_dir is not None:
            return Pairs(MappedRows(self.decoded_images(), positions), torch.tensor(labels))
        files = [self.catalog.files[i] for i in positions]
        return ImageFiles(files, labels, self.image_size)

    def prediction_dataset(self) -> tuple[Dataset, list[str]]:
        """The test split, or the images of `predict_dir` that decode; sets `predict_samples` (each
        one's id and true class, for the predictions) and `predict_skipped` (the files that do not
        decode, and why). In `predict_dir`, an image's true class is the top-level folder it lies in
        (or the folder under a split folder) where that folder is one of the model's classes; else none."""
        self.predict_skipped = []
        if self.predict_dir is None:
            positions = self.split_indices.test
            catalog = self.catalog
            self.predict_samples = [(catalog.sample_ids[i], catalog.label_names[i]) for i in positions]
            return self.split_dataset(positions), [str(catalog.files[i]) for i in positions]
        if not self.predict_dir.is_dir():
            raise FileNotFoundError(f"predict_dir {self.predict_dir} does not exist or is not a folder.")
        found = files_by_name(self.predict_dir)
        if not found:
            raise ValueError(f"predict_dir {self.predict_dir} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
        files, unreadable = readable_images(list(found.values()))
        self.predict_skipped = [(str(path), reason) for path, reason in unreadable]
        if not files:
            bad = named([path for path, _ in unreadable])
            raise ValueError(f"predict_dir {self.predict_dir} holds no image that decodes: {bad}.")
        try:
            in_split_folders = split_layout(self.predict_dir)
        except ValueError:  # split folders beside others: any layout is fine to predict
            in_split_folders = False
        sample_ids = {path: sample_id for sample_id, path in found.items()}
        classes = set(self.class_names)
        self.predict_samples = []
        labels = []
        for sample_id in (sample_ids[path] for path in files):
            label = class_folder(sample_id, in_split_folders)
            label = label if label in classes else None
            self.predict_samples.append((sample_id, label or ""))
            # -1 stands for "no class".
            labels.append(self.class_names.index(label) if label else -1)
        return ImageFiles(files, labels, self.image_size), [str(path) for path in files]

    def on_after_batch_transfer(
        self, batch: tuple[torch.Tensor, torch.Tensor], dataloader_idx: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        images, labels = batch
        if self.trainer is not None and self.trainer.training:
            images = self.augment(images)
        return images, labels

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images to floats in [0, 1], each randomly moved, turned and scaled."""
        return self.train_augmentation(images.float() / 255)
