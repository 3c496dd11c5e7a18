"""The image data module: listing, lazy linked values, per-split datasets, bad folders."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Subset

from {{ cookiecutter.package_name }}.data import ImageClassificationDataModule
from {{ cookiecutter.package_name }}.data.digits import write_digits
from {{ cookiecutter.package_name }}.data.task import ImageFiles, list_images
from {{ cookiecutter.package_name }}.training.cli import main

from .conftest import DefaultBuild, TrainedRun
from .tiny_data import CLASS_COLOURS, IMAGES_PER_SPLIT


def make_datamodule(data_dir: Path | None, data_args: list[str]) -> ImageClassificationDataModule:
    """The data module exactly as the configs build it."""
    args = [*data_args, "--data.data_dir", str(data_dir) if data_dir else "null"]
    return main(args, run=False).datamodule


def test_linked_values_are_known_before_setup(data_dir: Path, data_args: list[str]) -> None:
    datamodule = make_datamodule(data_dir, data_args)
    assert not hasattr(datamodule, "train_dataset")
    assert datamodule.class_names == sorted(CLASS_COLOURS)

    train_labels = datamodule.labels(datamodule.split_indices.train)
    counts = Counter(train_labels)
    expected = [len(train_labels) / (len(counts) * counts[c]) for c in range(len(CLASS_COLOURS))]
    assert datamodule.class_weights == pytest.approx(expected)
    assert all(isinstance(weight, float) for weight in datamodule.class_weights)


def test_linked_values_reach_the_model(data_dir: Path, data_args: list[str]) -> None:
    cli = main([*data_args, "--data.image_size", "24"], run=False)
    assert cli.model.hparams.class_names == sorted(CLASS_COLOURS)
    assert cli.model.hparams.image_size == 24
    assert cli.model.loss.weight.tolist() == pytest.approx(cli.datamodule.class_weights)


def test_setup_builds_one_plain_dataset_per_split(data_dir: Path, data_args: list[str]) -> None:
    datamodule = make_datamodule(data_dir, data_args)
    datamodule.setup("fit")
    datamodule.setup("test")
    datasets = [datamodule.train_dataset, datamodule.val_dataset, datamodule.test_dataset]
    assert not any(isinstance(dataset, Subset) for dataset in datasets)
    assert sum(len(dataset) for dataset in datasets) == len(CLASS_COLOURS) * sum(IMAGES_PER_SPLIT.values())
    image, label = datamodule.val_dataset[0]
    assert image.shape == (3, datamodule.image_size, datamodule.image_size)
    assert image.dtype == torch.uint8
    assert 0 <= label < len(CLASS_COLOURS)


def test_cached_images_equal_the_decoded_files(data_dir: Path, data_args: list[str]) -> None:
    cached = make_datamodule(data_dir, data_args)
    uncached = make_datamodule(data_dir, [*data_args, "--data.cache_dir", "null"])
    for datamodule in (cached, uncached):
        datamodule.prepare_data()
        datamodule.setup("fit")
    assert isinstance(uncached.train_dataset, ImageFiles)
    for index in (0, len(cached.train_dataset) - 1):
        torch.testing.assert_close(cached.train_dataset[index][0], uncached.train_dataset[index][0])
        assert cached.train_dataset[index][1] == uncached.train_dataset[index][1]


def test_image_cache_is_built_once_and_rebuilt_when_a_file_changes(
    tmp_path: Path, data_dir: Path, data_args: list[str]
) -> None:
    images = tmp_path / "images"
    shutil.copytree(data_dir, images)
    datamodule = make_datamodule(images, data_args)
    rebuilt = [
        ImageClassificationDataModule(datamodule.split, str(images), image_size=datamodule.image_size) for _ in range(2)
    ]
    first = datamodule.decoded_images()
    built = first.stat().st_mtime_ns
    assert rebuilt[0].decoded_images() == first
    assert first.stat().st_mtime_ns == built

    changed = sorted(images.rglob("*.png"))[0]
    Image.new("RGB", (16, 16), "white").save(changed)
    datamodule = rebuilt[1]
    second = datamodule.decoded_images()
    assert second != first
    assert not first.exists()
    row = datamodule.sample_ids.index(changed.relative_to(images).as_posix())
    assert (np.load(second, mmap_mode="r")[row] == 255).all()

    # A corrupt file added since is named by the next run, before any training.
    (changed.parent / "corrupt.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"(?s)1 file\(s\) that are not readable.*corrupt\.png"):
        make_datamodule(images, data_args)


def test_training_batches_are_augmented_on_their_device_and_others_stay_pixels(
    data_dir: Path, data_args: list[str]
) -> None:
    datamodule = make_datamodule(data_dir, data_args)
    datamodule.setup("fit")
    images = torch.stack([datamodule.train_dataset[i][0] for i in range(4)])
    labels = torch.zeros(4, dtype=torch.long)
    # Outside training (no trainer, or not training), batches stay uint8: the model normalizes them.
    evaluated, _ = datamodule.on_after_batch_transfer((images, labels), 0)
    assert evaluated is images
    augmented = datamodule.augment(images)
    assert augmented.dtype == torch.float32
    assert 0 <= augmented.min() < augmented.max() <= 1
    assert not torch.equal(augmented, images.float() / 255)
    # Each image of a batch gets its own random move, not the batch's.
    same = datamodule.augment(images[:1].expand(4, -1, -1, -1))
    assert not torch.equal(same[0], same[1])


def test_bundled_digits_are_written_once_and_used_by_default(
    default_build: DefaultBuild, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(default_build.workdir)
    datamodule = default_build.cli.datamodule
    assert len(datamodule.class_names) == 10
    files = sorted(datamodule.data_dir.rglob("*.png"))
    assert len(files) == 1797
    stamp = files[0].stat().st_mtime_ns
    write_digits(datamodule.data_dir)
    assert files[0].stat().st_mtime_ns == stamp


def test_predict_dir_predicts_unlabelled_images(data_dir: Path, data_args: list[str]) -> None:
    datamodule = make_datamodule(data_dir, [*data_args, "--data.predict_dir", str(data_dir / "test" / "red")])
    datamodule.setup("predict")
    assert len(datamodule.predict_dataset) == len(datamodule.predict_names) == IMAGES_PER_SPLIT["test"]


def test_evaluating_a_checkpoint_refuses_classes_it_does_not_know(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    renamed = tmp_path / "renamed"
    shutil.copytree(data_args[1], renamed)
    for split in IMAGES_PER_SPLIT:
        (renamed / split / "blue").rename(renamed / split / "zebra")
    checkpoint = str(trained_run.folder / "checkpoints" / "best.ckpt")
    with pytest.raises(
        ValueError, match=r"class 'zebra' .*, which the model does not know: its classes are 'blue', 'green'"
    ):
        main(["test", *data_args, "--data.data_dir", str(renamed), "--ckpt_path", checkpoint])


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({}, "does not exist"),
        ({"notes/readme.txt": b"no images"}, "holds no images"),
        ({"only/a.png": None}, "one class only"),
    ],
    ids=["missing", "empty", "one-class"],
)
def test_bad_data_dir_is_named_in_the_error(tmp_path: Path, layout: dict, message: str) -> None:
    root = tmp_path / "images"
    for name, content in layout.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            Image.new("RGB", (4, 4)).save(path)
        else:
            path.write_bytes(content)
    with pytest.raises((FileNotFoundError, ValueError), match=message) as error:
        list_images(root)
    assert str(root) in str(error.value)


def test_corrupt_and_truncated_images_stop_the_run_before_training(tmp_path: Path) -> None:
    for name in ("a/good.png", "b/good.png", "a/not_an_image.png", "b/truncated.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        Image.new("RGB", (8, 8), "red").save(tmp_path / name)
    (tmp_path / "a" / "not_an_image.png").write_text("plain text")
    truncated = tmp_path / "b" / "truncated.png"
    truncated.write_bytes(truncated.read_bytes()[:40])
    with pytest.raises(ValueError, match="2 file") as error:
        list_images(tmp_path)
    assert "not_an_image.png" in str(error.value)
    assert "truncated.png" in str(error.value)
    assert "good.png" not in str(error.value)


def test_unreadable_image_is_named_when_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"broken\.png"):
        ImageFiles([broken], [0], size=8)[0]
