"""The segmentation data module: pairing, class names, lazy linked values, per-split datasets,
augmentation, bad data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import Subset

from {{ cookiecutter.package_name }}.data import ImageSegmentationDataModule, shapes
from {{ cookiecutter.package_name }}.data.task import SegmentationFiles, find_pairs, list_samples
from {{ cookiecutter.package_name }}.training.cli import main

from .conftest import DefaultBuild, TrainedRun
from .tiny_data import CLASS_GREY, IGNORE_INDEX, IMAGE_SIZE, IMAGES_PER_SPLIT, NUM_CLASSES

DEFAULT_NAMES = [f"class_{index}" for index in range(NUM_CLASSES)]


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
    assert datamodule.class_names == DEFAULT_NAMES
    assert datamodule.ignore_index == IGNORE_INDEX
    assert datamodule.image_size == IMAGE_SIZE

    # Balanced weights over the labelled pixels of the training split, as scikit-learn computes them.
    pixels = np.concatenate(
        [np.asarray(Image.open(datamodule.catalog.masks[i])).ravel() for i in datamodule.split_indices.train]
    )
    labelled = pixels[pixels != IGNORE_INDEX]
    expected = compute_class_weight("balanced", classes=np.arange(NUM_CLASSES), y=labelled)
    assert datamodule.class_weights == pytest.approx(expected.tolist())
    assert all(isinstance(weight, float) for weight in datamodule.class_weights)


def test_linked_values_reach_the_model(data_args: list[str]) -> None:
    cli = main([*data_args, "--data.class_names", "[sky, bright, dark]"], run=False)
    assert cli.model.hparams.class_names == ["sky", "bright", "dark"]
    assert cli.model.hparams.ignore_index == cli.model.loss.ignore_index == IGNORE_INDEX
    assert cli.model.hparams.image_size == IMAGE_SIZE
    assert cli.model.loss.weight.tolist() == pytest.approx(cli.datamodule.class_weights)


def test_class_names_must_name_every_mask_value(data_args: list[str]) -> None:
    with pytest.raises(ValueError, match=r"holds the value 2, which is neither a class \(0 to 1: sky, bright\)"):
        main([*data_args, "--data.class_names", "[sky, bright]"], run=False)


@pytest.mark.parametrize(
    ("names", "message"), [("[only]", "at least 2 classes"), ("[sky, sea, sky]", "names a class twice: sky")]
)
def test_bad_class_names_are_refused(data_args: list[str], names: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        main([*data_args, "--data.class_names", names], run=False)


def test_split_labels_are_each_images_dominant_class_name(data_dir: Path, data_args: list[str]) -> None:
    datamodule = make_datamodule(data_dir, data_args)
    # tiny_data names each image after its dominant class: `<class>_<n>.png`.
    expected = [f"class_{Path(sample_id).name.split('_')[0]}" for sample_id in datamodule.sample_ids]
    assert datamodule.dominant_classes() == expected
    assert set(expected) == {f"class_{index}" for index in CLASS_GREY}


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


def test_evaluation_batches_stay_pixels_and_training_batches_are_flipped_with_their_masks(
    data_dir: Path, data_args: list[str]
) -> None:
    # An asymmetric shape whose mask is exactly where the image is bright.
    mask = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.int32)
    mask[2:9, 3:6] = 1
    mask[2:4, 3:12] = 1
    image = torch.from_numpy(np.where(mask == 1, 255, 0).astype(np.uint8)).expand(3, -1, -1)
    images = image.expand(40, -1, -1, -1)
    masks = torch.from_numpy(mask).expand(40, -1, -1)

    datamodule = make_datamodule(data_dir, data_args)
    # Outside training (no trainer, or not training), images stay uint8: the model normalizes them.
    evaluated, evaluated_masks = datamodule.on_after_batch_transfer((images, masks), 0)
    assert evaluated is images
    assert evaluated_masks.dtype == torch.int64
    assert torch.equal(evaluated_masks, masks.long())
    to_predict = {"images": images, "size": torch.tensor([[IMAGE_SIZE, IMAGE_SIZE]] * 40)}
    assert datamodule.on_after_batch_transfer(to_predict, 0) is to_predict

    torch.manual_seed(0)
    flipped, flipped_masks = datamodule.augment(images, masks.long())
    assert flipped.dtype == torch.float32 and flipped.min() == 0 and flipped.max() == 1
    for moved_image, moved_mask in zip(flipped, flipped_masks, strict=True):
        assert torch.equal(moved_image[0] > 0, moved_mask == 1)
    # Each image of the batch is flipped on its own: unflipped, left-right, up-down, both.
    assert len({moved_mask.numpy().tobytes() for moved_mask in flipped_masks}) == 4


def test_bundled_shapes_are_written_once_and_used_by_default(
    default_build: DefaultBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(default_build.workdir)
    datamodule = default_build.cli.datamodule
    assert datamodule.class_names == list(shapes.CLASS_NAMES)
    for split, count in shapes.SPLIT_SIZES.items():
        assert len(list((datamodule.data_dir / split / "images").glob("*.png"))) == count
        assert len(list((datamodule.data_dir / split / "masks").glob("*.png"))) == count
    assert datamodule.sample_ids[0].split("/")[0] in shapes.SPLIT_SIZES
    assert (datamodule.pixel_counts.sum(axis=0) > 0).all()
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


def test_predict_dir_predicts_unlabelled_images_at_their_own_size(
    tmp_path: Path, data_dir: Path, data_args: list[str]
) -> None:
    predict_dir = tmp_path / "new"
    write_pair(predict_dir, "wide.png", (40, 12), None)
    datamodule = make_datamodule(data_dir, [*data_args, "--data.predict_dir", str(predict_dir / "images")])
    datamodule.setup("predict")
    assert datamodule.predict_names == [str(predict_dir / "images" / "wide.png")]
    (sample,) = datamodule.predict_dataset
    assert sample["images"].shape == (3, IMAGE_SIZE, IMAGE_SIZE)
    assert sample["size"].tolist() == [12, 40]

    # Each image's mask is named as the image: two images of one name would write one mask.
    write_pair(predict_dir, "wide.jpg", (40, 12), None)
    with pytest.raises(ValueError, match=r"wide\.jpg and .*wide\.png have the same name"):
        datamodule.setup("predict")


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
        list_samples(tmp_path, IGNORE_INDEX)


def test_binary_masks_of_the_ignore_index_are_refused_with_the_fix(tmp_path: Path, data_args: list[str]) -> None:
    for name in ("a.png", "b.png"):
        write_pair(tmp_path, name, (6, 4), small_mask(255))
    with pytest.raises(ValueError, match="only 0 and 255: binary masks with 255 for the object, which is the ignore"):
        list_samples(tmp_path, ignore_index=255)
    # Edges marked 255 beside objects of class 1 are what the ignore index is for.
    edged = small_mask(1)
    edged[0, 0] = 255
    write_pair(tmp_path, "b.png", (6, 4), edged)
    assert [len(counts) for counts in list_samples(tmp_path, ignore_index=255).value_counts] == [1, 2]


def test_colour_mask_without_mask_colors_is_refused(tmp_path: Path) -> None:
    write_pair(tmp_path, "colour.png", (6, 4), None)
    Image.new("RGB", (6, 4), (200, 30, 30)).save(tmp_path / "masks" / "colour.png")
    refused = r"colour\.png is in colours \(RGB\).*give --data\.mask_colors.*Its colours: \[200, 30, 30\]"
    with pytest.raises(ValueError, match=refused):
        list_samples(tmp_path, IGNORE_INDEX)
    # Three equal channels are one: a mask of class indices saved as RGB.
    Image.new("RGB", (6, 4), (1, 1, 1)).save(tmp_path / "masks" / "colour.png")
    assert [counts.tolist() for counts in list_samples(tmp_path, IGNORE_INDEX).value_counts] == [[0, 24]]


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
    with pytest.raises(ValueError, match=r"Cannot read .*broken\.png"):
        list_samples(tmp_path, IGNORE_INDEX)


def test_evaluating_a_checkpoint_refuses_mask_values_it_has_no_class_for(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_args[1], data)
    strange = data / "test" / "masks" / "1_0.png"
    mask = np.asarray(Image.open(strange)).copy()
    mask[0, 0] = NUM_CLASSES
    Image.fromarray(mask).save(strange)
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    with pytest.raises(ValueError, match=rf"1_0\.png holds the value {NUM_CLASSES}, which is neither a class"):
        main(["test", *data_args, "--data.data_dir", str(data), "--ckpt_path", checkpoint])
