"""Predict writes a mask PNG per image, the size of the image, laid out as the images are, and
indexes them in predictions.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from {{ cookiecutter.package_name }}.training.cli import main
from {{ cookiecutter.package_name }}.training.runs import run_dir

from .conftest import TrainedRun
from .tiny_data import NUM_CLASSES


def test_predicted_masks_are_class_indices_the_size_of_their_images(
    trained_run: TrainedRun, data_args: list[str], tmp_path: Path
) -> None:
    new_images = tmp_path / "new"
    (new_images / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    sizes = {"wide.png": (40, 12), "sub/tall.jpg": (9, 30)}
    for name, size in sizes.items():
        Image.fromarray(rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)).save(new_images / name)

    checkpoint = trained_run.folder / "checkpoints" / "best.ckpt"
    cli = main(["predict", *data_args, "--data.predict_dir", str(new_images), "--ckpt_path", str(checkpoint)])
    output = run_dir(cli.trainer) / "predictions.csv"
    with output.open() as file:
        rows = list(csv.DictReader(file))
    assert [Path(row["image"]).relative_to(new_images).as_posix() for row in rows] == sorted(sizes)
    # Each image's id: its path in predict_dir.
    assert [row["sample_id"] for row in rows] == sorted(sizes)
    # Named relative to the CSV's folder, laid out as the images: the CSV and its masks move together.
    assert [row["mask"] for row in rows] == ["predicted_masks/sub/tall.png", "predicted_masks/wide.png"]
    for row in rows:
        with Image.open(output.parent / row["mask"]) as mask:
            assert mask.size == sizes[Path(row["image"]).relative_to(new_images).as_posix()]
            assert set(np.unique(np.asarray(mask)).tolist()) <= set(range(NUM_CLASSES))
        assert 1 / NUM_CLASSES <= float(row["mean_confidence"]) <= 1
