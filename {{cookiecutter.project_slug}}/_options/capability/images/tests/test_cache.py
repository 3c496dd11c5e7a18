"""What a run remembers of an image folder: checks redone only for changed files, arrays built once
by any number of processes, batches read at once equal to samples read one by one."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from {{ cookiecutter.package_name }}.data.cache import cached_array, checked_files, stamps
from {{ cookiecutter.package_name }}.data.images import image_files, read_image
from {{ cookiecutter.package_name }}.training.cli import main


def write_images(folder: Path, count: int) -> list[Path]:
    for index in range(count):
        path = folder / f"class_{index % 2}" / f"{index}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (6, 6), (index * 20, 0, 0)).save(path)
    return image_files(folder)


def check_all(folder: Path, store: Path) -> tuple[list, list[str]]:
    """The results of checking every image of `folder` (its width), and the images checked."""
    checked: list[str] = []

    def width(path: Path) -> int:
        checked.append(path.name)
        return read_image(path, 6).shape[-1]

    files = image_files(folder)
    names = [path.relative_to(folder).as_posix() for path in files]
    results = checked_files(store, names, stamps(files), width, [(path,) for path in files], "Checking")
    return results, checked


def test_only_new_and_changed_files_are_checked_again_and_removed_ones_are_forgotten(tmp_path: Path) -> None:
    files = write_images(tmp_path / "images", 4)
    store = tmp_path / "cache" / "checked.json"
    assert check_all(tmp_path / "images", store) == ([6, 6, 6, 6], ["0.png", "2.png", "1.png", "3.png"])
    assert check_all(tmp_path / "images", store) == ([6, 6, 6, 6], [])

    Image.new("RGB", (6, 6), "white").save(files[0])  # rewritten: another size on disk
    files[1].unlink()  # class_0/2.png
    Image.new("RGB", (6, 6)).save(tmp_path / "images" / "class_0" / "new.png")
    results, checked = check_all(tmp_path / "images", store)
    assert sorted(checked) == ["0.png", "new.png"]
    assert len(results) == 4
    assert "class_0/2.png" not in store.read_text()


def test_a_corrupt_file_is_named_and_the_others_stay_checked(tmp_path: Path) -> None:
    write_images(tmp_path / "images", 3)
    store = tmp_path / "checked.json"
    check_all(tmp_path / "images", store)
    (tmp_path / "images" / "class_0" / "broken.png").write_bytes(b"not a png")
    results, checked = check_all(tmp_path / "images", store)
    assert checked == ["broken.png"]
    errors = [result for result in results if isinstance(result, ValueError)]
    assert len(errors) == 1
    assert "broken.png" in str(errors[0])
    # Found again at the next run, and nothing else is checked again.
    assert check_all(tmp_path / "images", store)[1] == ["broken.png"]


def build_array(folder: Path, read: Callable[[Path], torch.Tensor]) -> Path:
    files = image_files(folder / "images")
    names = [path.relative_to(folder).as_posix() for path in files]
    return cached_array(folder / "cache", "images-6px", read, files, np.uint8, names, stamps(files))


def test_an_array_built_again_decodes_only_the_new_and_changed_files(tmp_path: Path) -> None:
    files = write_images(tmp_path / "images", 4)
    decoded: list[str] = []

    def read(path: Path) -> torch.Tensor:
        decoded.append(path.name)
        return read_image(path, 6)

    first = build_array(tmp_path, read)
    assert build_array(tmp_path, read) == first
    Image.new("RGB", (6, 6), "white").save(files[0])
    files[3].unlink()
    Image.new("RGB", (6, 6), "blue").save(tmp_path / "images" / "class_1" / "new.png")
    decoded.clear()
    second = build_array(tmp_path, read)
    assert sorted(decoded) == ["0.png", "new.png"]
    assert not first.exists()
    assert sorted(path.suffix for path in second.parent.iterdir()) == [".json", ".npy"]
    array = np.load(second)
    for row, path in enumerate(image_files(tmp_path / "images")):
        np.testing.assert_array_equal(array[row], read_image(path, 6).numpy())


def slow_read(path: Path) -> torch.Tensor:
    time.sleep(0.05)  # long enough for both processes to be building at once
    return read_image(path, 6)


def test_two_processes_building_one_array_at_once_leave_one_valid_array(tmp_path: Path) -> None:
    files = write_images(tmp_path / "images", 6)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as processes:
        built = [processes.submit(build_array, tmp_path, slow_read) for _ in range(2)]
        paths = {future.result() for future in built}
    assert len(paths) == 1
    array_path = paths.pop()
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == [
        array_path.with_suffix(".json").name,
        array_path.name,
    ]
    array = np.load(array_path)
    for row, path in enumerate(files):
        np.testing.assert_array_equal(array[row], read_image(path, 6).numpy())


class OneByOne(Dataset):
    """The same dataset, read one sample at a time."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.dataset[index]


def test_batches_read_at_once_equal_samples_read_one_by_one(data_args: list[str]) -> None:
    datamodule = main(data_args, run=False).datamodule
    datamodule.setup("fit")
    batches = []
    for loader in (datamodule.train_dataloader(), datamodule._loader(OneByOne(datamodule.train_dataset), shuffle=True)):
        torch.manual_seed(0)
        batches.append(list(loader))
    assert len(batches[0]) > 1
    # The same samples and targets in the same batches: the batch augmentation, drawn on the device
    # for each batch, sees the same inputs either way.
    for (inputs, targets), (expected_inputs, expected_targets) in zip(*batches, strict=True):
        torch.testing.assert_close(inputs, expected_inputs)
        torch.testing.assert_close(targets, expected_targets)
    inputs, targets = datamodule.train_dataset.__getitems__([3, 0])
    torch.testing.assert_close(inputs[1], datamodule.train_dataset[0][0])
    torch.testing.assert_close(targets[0], datamodule.train_dataset[3][1])


def test_a_samples_stamp_holds_each_of_its_files_in_turn(tmp_path: Path) -> None:
    files = write_images(tmp_path / "images", 3)
    masks = write_images(tmp_path / "masks", 3)
    both = stamps(files, masks)
    assert [len(stamp) for stamp in both] == [4] * 3
    assert both[2] == (*both_stats(files[2]), *both_stats(masks[2]))


def both_stats(path: Path) -> tuple[int, int]:
    return path.stat().st_size, path.stat().st_mtime_ns
