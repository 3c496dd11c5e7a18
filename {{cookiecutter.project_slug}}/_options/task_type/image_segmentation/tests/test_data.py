"""The segmentation data module: pairing, lazy linked values, per-split datasets, augmentation, bad data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import Subset

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data import ImageSegmentationDataModule, shapes
from {{ cookiecutter.package_name }}.data.segmentation import SegmentationFiles, find_pairs, list_samples

from .tiny_data import CLASS_GREY, IGNORE_INDEX, IMAGE_SIZE, IMAGES_PER_SPLIT, NUM_CLASSES


def make_datamodule(data_dir: Path | None, data_args: list[str]) -> ImageSegmentationDataModule:
    """The data module exactly as the configs build it."""
    args = [*data_args, "--data.data_dir", str(data_dir) if data_dir else "null"]
    return main(args, run=False).datamodule


def write_pair(root: Path, name: str, image_size: tuple[int, int], mask: np.ndarray | None) -> None:
    """An image `root/images/<name>` and, unless `mask` is None, its mask `root/masks/<stem>.png`."""
    image_path = root / "images" / name
    image_path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", image_size, (90, 120, 150)).save(image_path)
    (root / "masks").mkdir(exist_ok=True)
    if mask is not None:
        mask_path = (root / "masks" / name).with_suffix(".png")
        mask_path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(mask).save(mask_path)


def small_mask(value: int = 1) -> np.ndarray:
    """A 6x4 mask (4 rows of 6 pixels) with a square of `value`."""
    mask = np.zeros((4, 6), dtype=np.uint8)
    mask[1:3, 1:3] = value
    return mask


def test_linked_values_are_known_before_setup(data_dir: Path, data_args: list[str]) -> None:
    datamodule = make_datamodule(data_dir, data_args)
    assert not hasattr(datamodule, "train_dataset")
    assert datamodule.num_classes == NUM_CLASSES
    assert datamodule.ignore_index == IGNORE_INDEX

    # Balanced weights over the labelled pixels of the training split, as scikit-learn computes them.
    pixels = np.concatenate(
        [np.asarray(Image.open(datamodule.catalog.masks[i])).ravel() for i in datamodule.split_indices.train]
    )
    labelled = pixels[pixels != IGNORE_INDEX]
    expected = compute_class_weight("balanced", classes=np.arange(NUM_CLASSES), y=labelled)
    assert datamodule.class_weights == pytest.approx(expected.tolist())
    assert all(isinstance(weight, float) for weight in datamodule.class_weights)


def test_linked_values_reach_the_model(data_args: list[str]) -> None:
    cli = main([*data_args], run=False)
    assert cli.model.hparams.num_classes == NUM_CLASSES
    assert cli.model.hparams.ignore_index == IGNORE_INDEX
    assert cli.model.loss.ignore_index == IGNORE_INDEX
    assert cli.model.loss.weight.tolist() == pytest.approx(cli.datamodule.class_weights)


def test_num_classes_can_be_declared(data_dir: Path, data_args: list[str]) -> None:
    datamodule = make_datamodule(data_dir, [*data_args, "--data.num_classes", str(NUM_CLASSES)])
    assert datamodule.num_classes == NUM_CLASSES
    # A class no mask holds has no pixels to weigh: the error says so.
    with pytest.raises(ValueError, match=rf"no pixels of class {NUM_CLASSES}\b"):
        make_datamodule(data_dir, [*data_args, "--data.num_classes", str(NUM_CLASSES + 1)])


def test_split_labels_are_each_images_dominant_class(data_dir: Path) -> None:
    catalog = list_samples(data_dir)
    # tiny_data names each image after its dominant class: `<class>_<n>.png`.
    assert catalog.labels == [int(Path(sample_id).name.split("_")[0]) for sample_id in catalog.sample_ids]
    assert set(catalog.labels) == set(CLASS_GREY)


def test_setup_builds_one_plain_dataset_per_split(data_dir: Path, data_args: list[str]) -> None:
    datamodule = make_datamodule(data_dir, data_args)
    datamodule.setup("fit")
    datamodule.setup("test")
    datasets = [datamodule.train_dataset, datamodule.val_dataset, datamodule.test_dataset]
    assert not any(isinstance(dataset, Subset) for dataset in datasets)
    assert sum(len(dataset) for dataset in datasets) == len(CLASS_GREY) * sum(IMAGES_PER_SPLIT.values())
    image, mask = datamodule.val_dataset[0]
    assert image.shape == (3, IMAGE_SIZE, IMAGE_SIZE)
    assert image.dtype == torch.uint8
    assert mask.shape == (IMAGE_SIZE, IMAGE_SIZE)
    assert mask.dtype == torch.int32
    assert set(mask.unique().tolist()) <= {*range(NUM_CLASSES), IGNORE_INDEX}


def test_cached_images_and_masks_equal_the_decoded_files(data_dir: Path, data_args: list[str]) -> None:
    cached = make_datamodule(data_dir, data_args)
    uncached = make_datamodule(data_dir, [*data_args, "--data.cache_dir", "null"])
    for datamodule in (cached, uncached):
        datamodule.prepare_data()
        datamodule.setup("fit")
    assert isinstance(uncached.train_dataset, SegmentationFiles)
    assert not isinstance(cached.train_dataset, SegmentationFiles)
    for index in (0, len(cached.train_dataset) - 1):
        torch.testing.assert_close(cached.train_dataset[index], uncached.train_dataset[index])


def test_cache_is_built_once_and_rebuilt_when_a_mask_changes(
    tmp_path: Path, data_dir: Path, data_args: list[str]
) -> None:
    root = tmp_path / "data"
    shutil.copytree(data_dir, root)
    datamodule = make_datamodule(root, data_args)
    rebuilt = [
        ImageSegmentationDataModule(datamodule.split, str(root), image_size=datamodule.image_size) for _ in range(2)
    ]
    first_images, first_masks = datamodule.decoded_arrays()
    built = first_masks.stat().st_mtime_ns
    assert rebuilt[0].decoded_arrays() == (first_images, first_masks)
    assert first_masks.stat().st_mtime_ns == built

    row = 0
    changed = datamodule.catalog.masks[row]
    with Image.open(changed) as mask:
        size = mask.size
    Image.fromarray(np.full(size[::-1], IGNORE_INDEX, dtype=np.uint8)).save(changed)
    images, masks = rebuilt[1].decoded_arrays()
    assert masks != first_masks and images != first_images
    assert not first_masks.exists() and not first_images.exists()
    assert (np.load(masks, mmap_mode="r")[row] == IGNORE_INDEX).all()


def test_batches_are_normalized_and_training_batches_flipped_with_their_masks(
    data_dir: Path, data_args: list[str], tmp_path: Path
) -> None:
    # An asymmetric shape whose mask is exactly where the image is bright.
    mask = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.int32)
    mask[2:9, 3:6] = 1
    mask[2:4, 3:12] = 1
    image = torch.from_numpy(np.where(mask == 1, 255, 0).astype(np.uint8)).expand(3, -1, -1)
    images = image.expand(40, -1, -1, -1)
    masks = torch.from_numpy(mask).expand(40, -1, -1)

    datamodule = make_datamodule(data_dir, data_args)
    evaluated, evaluated_masks = datamodule.batch_transform(images, masks, augment=False)
    assert evaluated.dtype == torch.float32 and evaluated_masks.dtype == torch.int64
    assert evaluated.min() == -1 and evaluated.max() == 1
    assert torch.equal(evaluated_masks, masks.long())

    torch.manual_seed(0)
    flipped, flipped_masks = datamodule.batch_transform(images, masks, augment=True)
    for moved_image, moved_mask in zip(flipped, flipped_masks, strict=True):
        assert torch.equal(moved_image[0] > 0, moved_mask == 1)
    # Each image of the batch is flipped on its own: unflipped, left-right, up-down, both.
    assert len({moved_mask.numpy().tobytes() for moved_mask in flipped_masks}) == 4


def test_bundled_shapes_are_written_once_and_used_by_default(
    data_args: list[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shapes, "SPLIT_SIZES", {"train": 12, "val": 4, "test": 4})
    datamodule = make_datamodule(None, data_args)
    assert datamodule.num_classes == len(shapes.CLASS_NAMES)
    assert datamodule.data_dir.resolve() == (isolated / "data" / "shapes").resolve()
    for split, count in shapes.SPLIT_SIZES.items():
        assert len(list((datamodule.data_dir / split / "images").glob("*.png"))) == count
        assert len(list((datamodule.data_dir / split / "masks").glob("*.png"))) == count
    assert datamodule.catalog.sample_ids[0].split("/")[0] in shapes.SPLIT_SIZES
    masks = [np.asarray(Image.open(path)) for path in datamodule.catalog.masks]
    assert set(np.unique(masks).tolist()) == {0, 1, 2, 3, shapes.IGNORE_INDEX}
    files = sorted(datamodule.data_dir.rglob("*.png"))
    stamp = files[0].stat().st_mtime_ns
    shapes.write_shapes(datamodule.data_dir)
    assert files[0].stat().st_mtime_ns == stamp


def test_bundled_shapes_are_the_same_every_time(tmp_path: Path) -> None:
    sizes = {"train": 2, "val": 1, "test": 1}
    shapes.write_shapes(tmp_path / "first", sizes)
    shapes.write_shapes(tmp_path / "again", sizes)
    for path in sorted((tmp_path / "first").rglob("*.png")):
        assert path.read_bytes() == (tmp_path / "again" / path.relative_to(tmp_path / "first")).read_bytes()


def test_predict_dir_predicts_unlabelled_images(data_dir: Path, data_args: list[str]) -> None:
    predict_dir = data_dir / "test" / "images"
    datamodule = make_datamodule(data_dir, [*data_args, "--data.predict_dir", str(predict_dir)])
    datamodule.setup("predict")
    assert len(datamodule.predict_dataset) == len(CLASS_GREY) * IMAGES_PER_SPLIT["test"]
    image, mask = datamodule.predict_dataset[0]
    assert image.shape == (3, IMAGE_SIZE, IMAGE_SIZE)
    assert (mask == IGNORE_INDEX).all()
    assert datamodule.predict_files == sorted(predict_dir.glob("*.png"))


def test_images_pair_with_masks_by_name(tmp_path: Path) -> None:
    write_pair(tmp_path, "b.jpg", (6, 4), small_mask(1))
    write_pair(tmp_path, "a.png", (6, 4), small_mask(2))
    write_pair(tmp_path, "nested/c.png", (6, 4), small_mask(1))
    pairs = find_pairs(tmp_path)
    assert [pair.sample_id for pair in pairs] == ["a", "b", "nested/c"]
    for pair in pairs:
        assert pair.mask == tmp_path / "masks" / f"{pair.sample_id}.png"
        assert pair.image.parent / pair.image.stem == tmp_path / "images" / pair.sample_id


def test_split_folders_prefix_the_sample_ids(tmp_path: Path) -> None:
    for split in ("train", "val", "test"):
        write_pair(tmp_path / split, "x.png", (6, 4), small_mask())
    assert [pair.sample_id for pair in find_pairs(tmp_path)] == ["test/x", "train/x", "val/x"]


def test_image_without_a_mask_is_named(tmp_path: Path) -> None:
    write_pair(tmp_path, "paired.png", (6, 4), small_mask())
    write_pair(tmp_path, "lonely.jpg", (6, 4), None)
    with pytest.raises(ValueError, match=r"Image without a mask: .*lonely\.jpg") as error:
        find_pairs(tmp_path)
    assert "paired" not in str(error.value)


def test_mask_without_an_image_is_named(tmp_path: Path) -> None:
    write_pair(tmp_path, "paired.png", (6, 4), small_mask())
    Image.fromarray(small_mask()).save(tmp_path / "masks" / "stray.png")
    with pytest.raises(ValueError, match=r"Mask without an image: .*stray\.png"):
        find_pairs(tmp_path)


def test_mask_of_another_size_names_both_files(tmp_path: Path) -> None:
    write_pair(tmp_path, "fine.png", (6, 4), small_mask())
    write_pair(tmp_path, "odd.png", (6, 5), small_mask())
    with pytest.raises(ValueError, match=r"Mask .*masks/odd\.png is 6x4 .* image .*images/odd\.png is 6x5"):
        list_samples(tmp_path)


def test_mask_value_outside_the_classes_is_named(tmp_path: Path) -> None:
    write_pair(tmp_path, "fine.png", (6, 4), small_mask(2))
    mask = small_mask(1)
    mask[0, 0] = IGNORE_INDEX  # unlabelled pixels are allowed
    write_pair(tmp_path, "ignored.png", (6, 4), mask)
    assert list_samples(tmp_path, num_classes=3).num_classes == 3
    write_pair(tmp_path, "bad.png", (6, 4), small_mask(7))
    with pytest.raises(ValueError, match=r"bad\.png holds the value 7, outside the classes 0\.\.2"):
        list_samples(tmp_path, num_classes=3)


def test_colour_mask_is_refused(tmp_path: Path) -> None:
    write_pair(tmp_path, "colour.png", (6, 4), None)
    Image.new("RGB", (6, 4)).save(tmp_path / "masks" / "colour.png")
    with pytest.raises(ValueError, match=r"colour\.png has mode RGB"):
        list_samples(tmp_path)


@pytest.mark.parametrize(
    ("layout", "message"),
    [({}, "does not exist"), ({"pictures": None}, "has no images/ folder"), ({"images": None}, "no masks/ folder")],
    ids=["missing", "no-images-folder", "no-masks-folder"],
)
def test_bad_data_dir_is_named_in_the_error(tmp_path: Path, layout: dict, message: str) -> None:
    root = tmp_path / "data"
    for name in layout:
        (root / name).mkdir(parents=True)
    with pytest.raises((FileNotFoundError, ValueError), match=message) as error:
        find_pairs(root)
    assert str(root) in str(error.value)


def test_unreadable_image_is_named(tmp_path: Path) -> None:
    write_pair(tmp_path, "broken.png", (6, 4), small_mask())
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(RuntimeError, match=r"broken\.png"):
        list_samples(tmp_path)
